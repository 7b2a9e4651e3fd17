/**
 * The ONE place the integration suite imports the server under test from.
 *
 * The suite is written against socket.io v4's documented server API; to run it against
 * socket.io itself (the reference), point both lines at "socket.io" instead.
 */
export { Server } from "../../src/index.ts";
export type { Socket as ServerSocket, Namespace } from "../../src/index.ts";
