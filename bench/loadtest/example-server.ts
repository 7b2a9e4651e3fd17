/**
 * A Socket.IO server with nothing but the load test's relay ({@link relayForLoadTest}), to
 * load-test roomcast and socket.io side by side with the same handler:
 *
 *   node --import tsx bench/loadtest/example-server.ts --impl socketio [--port 3001]
 *
 * Prints `listening on http://127.0.0.1:<port>` (port 0, the default, picks a free one) and
 * runs until SIGINT or SIGTERM.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { Server as SocketIoServer } from "socket.io";
import { Server } from "../../src/index.ts";
import { relayForLoadTest } from "./relay.ts";

const { values } = parseArgs({ options: { impl: { type: "string", default: "roomcast" }, port: { type: "string", default: "0" } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`--port must be an integer from 0 to 65535, got ${values.port}`);
  process.exit(2);
}

const httpServer = createServer();
let close: () => Promise<unknown>;
if (values.impl === "socketio") {
  const io = new SocketIoServer(httpServer);
  io.on("connection", (socket) => relayForLoadTest(socket));
  close = () => new Promise((done) => void io.close(done));
} else if (values.impl === "roomcast") {
  const io = new Server(httpServer);
  io.on("connection", (socket) => relayForLoadTest(socket));
  close = () => io.close();
} else {
  console.error(`--impl must be roomcast or socketio, got ${values.impl}`);
  process.exit(2);
}

httpServer.listen(port, "127.0.0.1", () => {
  console.log(`${values.impl} listening on http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`);
});
const stop = (): void => void close().then(() => process.exit(0));
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
