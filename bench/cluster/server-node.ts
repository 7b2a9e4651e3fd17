/**
 * One server node of the two-node cluster benchmark, in its own process (forked by
 * two-node.ts): roomcast with its Redis adapter, socket.io with @socket.io/redis-adapter, or
 * roomcast with @socket.io/redis-adapter, on the same Redis. Driven over IPC; a socket joins
 * the room named in its `room` query.
 *
 * It counts the pub/sub messages its subscriber connection delivers (by wrapping the
 * listeners the adapter registers), and reports its own CPU time.
 *
 * argv: impl ("roomcast" | "socketio" | "roomcast-sio"), protocol ("classic" | "sharded"), mode,
 * key, redis url.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "redis";
import { Server as SioServer } from "socket.io";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { createRedisAdapter, createShardedRedisAdapter, Server as RoomcastServer } from "../../src/index.ts";
import type { ToChild, ToParent } from "./ipc.ts";

const [impl, protocol, mode, key, url] = process.argv.slice(2) as [string, string, string, string, string];

type Listener = (message: Buffer, channel: Buffer) => unknown;

let received = 0;
const wrapped = new WeakMap<Listener, Listener>();
function counted(listener: Listener): Listener {
  let w = wrapped.get(listener);
  if (w === undefined) {
    w = (message, channel) => {
      received++;
      return listener(message, channel);
    };
    wrapped.set(listener, w);
  }
  return w;
}

const pub = createClient({ url });
const sub = pub.duplicate();
pub.on("error", (err: unknown) => console.error(`[${impl}] pub`, err));
sub.on("error", (err: unknown) => console.error(`[${impl}] sub`, err));

// Every (un)subscribe method goes through `counted`, so unsubscribing finds the same wrapper.
type SubMethod = (channels: string | string[], listener?: Listener, bufferMode?: boolean) => Promise<unknown>;
for (const name of ["subscribe", "unsubscribe", "pSubscribe", "pUnsubscribe", "sSubscribe", "sUnsubscribe"] as const) {
  const original = (sub[name] as unknown as SubMethod).bind(sub);
  const replacement: SubMethod = (channels, listener, bufferMode) =>
    original(channels, typeof listener === "function" ? counted(listener) : listener, bufferMode);
  Object.assign(sub, { [name]: replacement });
}

await Promise.all([pub.connect(), sub.connect()]);

/** The slice of both servers' APIs the benchmark uses. */
interface BenchServer {
  emit(ev: string): boolean;
  to(room: string): { emit(ev: string, ...args: unknown[]): boolean };
  on(ev: "connection", fn: (socket: { handshake: { query: Record<string, unknown> }; join(room: string): unknown }) => void): unknown;
}

const httpServer = http.createServer();
let server: BenchServer;
let whenSubscribed: () => Promise<void> = () => Promise.resolve();
if (impl === "roomcast") {
  const adapter =
    protocol === "sharded"
      ? createShardedRedisAdapter(pub, sub, { channelPrefix: key, subscriptionMode: mode as "dynamic" })
      : createRedisAdapter(pub, sub, { key, subscriptionMode: mode as "pattern" });
  const io = new RoomcastServer(httpServer, { adapter });
  const nsp = io.of("/");
  await nsp.adapter.init();
  whenSubscribed = () => (nsp.adapter as unknown as { whenSubscribed(): Promise<void> }).whenSubscribed();
  server = io as unknown as BenchServer;
} else {
  const adapter =
    protocol === "sharded"
      ? createShardedAdapter(pub, sub, { channelPrefix: key, subscriptionMode: mode as "dynamic" })
      : createAdapter(pub, sub, { key });
  const options = { adapter };
  server = (impl === "roomcast-sio" ? new RoomcastServer(httpServer, options) : new SioServer(httpServer, options)) as unknown as BenchServer;
}

server.on("connection", (socket) => {
  const room = socket.handshake.query.room;
  if (typeof room === "string") void socket.join(room);
});

await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));

let cpuBase = process.cpuUsage();

function send(msg: ToParent): void {
  process.send?.(msg);
}

async function broadcast(rooms: string[], count: number, burst: number, payload: string): Promise<void> {
  const seq = new Map<string, number>();
  for (let k = 0; k < count; k++) {
    const room = rooms[k % rooms.length] as string;
    const n = seq.get(room) ?? 0;
    seq.set(room, n + 1);
    server.to(room).emit("m", room, n, payload);
    if ((k + 1) % burst === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

process.on("message", (msg: ToChild) => {
  switch (msg.t) {
    case "settle":
      // Subscriptions requested so far are answered (roomcast waits for them; for socket.io a
      // PING queued behind its SUBSCRIBEs on the subscriber connection proves them done).
      void whenSubscribed()
        .then(() => sub.ping())
        .then(() => send({ t: "settled" }));
      break;
    case "reset":
      received = 0;
      cpuBase = process.cpuUsage();
      send({ t: "reset" });
      break;
    case "go":
      void broadcast(msg.rooms, msg.count, msg.burst, msg.payload).then(() => send({ t: "sent" }));
      break;
    case "drain":
      server.emit("drain");
      break;
    case "stats": {
      const cpu = process.cpuUsage(cpuBase);
      send({ t: "stats", cpuUs: cpu.user + cpu.system, received });
      break;
    }
    case "exit":
      process.exit(0);
  }
});

send({ t: "ready", port: (httpServer.address() as AddressInfo).port });
