/**
 * One roomcast server of the node-loss test, in its own process (run with tsx): the Redis
 * adapter with connection state recovery on, driven over IPC by test/recovery/node-kill.test.ts.
 *
 * argv: <key> <sessionRefreshInterval>; env REDIS_URL. Sends `ready` (port), `connection`
 * (what the new socket has), `refreshed` (a session refresh round is written), `emitted`.
 * Takes `{ cmd: "emit", room, event }` (room "" = everyone). Clients may send `join` (room) and
 * `set` (key, value), both acknowledged.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { EventEmitter } from "node:events";
import { createClient } from "redis";
import { createRedisAdapter, Server } from "../../../src/index.ts";

const [key = "", refresh = "1000"] = process.argv.slice(2);
const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

function send(message: Record<string, unknown>): void {
  process.send?.(message);
}

const pub = createClient({ url });
const sub = pub.duplicate();
pub.on("error", () => {});
sub.on("error", () => {});
await Promise.all([pub.connect(), sub.connect()]);

const http = createServer();
const io = new Server(http, {
  adapter: createRedisAdapter(pub, sub, { key, sessionRefreshInterval: Number(refresh) }),
  connectionStateRecovery: { maxDisconnectionDuration: 60_000 },
});
io.use((socket, next) => {
  (socket.data as Record<string, unknown>).user = socket.handshake.auth.user;
  next();
});
io.on("connection", (socket) => {
  send({ type: "connection", id: socket.id, recovered: socket.recovered, rooms: [...socket.rooms], data: socket.data });
  socket.on("join", (room: unknown, ack: unknown) => {
    void Promise.resolve(socket.join(String(room))).then(() => (ack as () => void)());
  });
  socket.on("set", (name: unknown, value: unknown, ack: unknown) => {
    (socket.data as Record<string, unknown>)[String(name)] = value;
    (ack as () => void)();
  });
});
const adapter = io.of("/").adapter;
adapter.on("error", () => {});
(adapter.recovery as unknown as EventEmitter).on("refreshed", () => send({ type: "refreshed" }));
await adapter.init();

process.on("message", (cmd: { cmd: string; room: string; event: string }) => {
  if (cmd.cmd !== "emit") return;
  if (cmd.room === "") io.emit(cmd.event);
  else io.to(cmd.room).emit(cmd.event);
  send({ type: "emitted" });
});
process.on("disconnect", () => process.exit(0));

http.listen(0, "127.0.0.1", () => send({ type: "ready", port: (http.address() as AddressInfo).port }));
