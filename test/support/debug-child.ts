/**
 * Child process of test/integration/debug.test.ts: a server and one official client, with
 * whatever DEBUG the parent set. Prints "done" on stdout once everything closed.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { io as ioc } from "socket.io-client";
import { Server } from "../../src/index.ts";

const httpServer = http.createServer();
const io = new Server(httpServer);
io.of("/orders");
await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
const { port } = httpServer.address() as AddressInfo;
const client = ioc(`http://127.0.0.1:${port}`, { transports: ["websocket"], reconnection: false });
await new Promise<void>((resolve) => client.once("connect", () => resolve()));
client.disconnect();
await io.close();
process.stdout.write("done\n");
