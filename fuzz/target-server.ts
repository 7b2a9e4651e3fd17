/**
 * The server under fuzz, run in a child process (`node --expose-gc --import tsx
 * fuzz/target-server.ts`, forked by target.ts). It is a small but typical application: a main
 * namespace, an authenticated `/admin` namespace whose middleware joins a room before refusing,
 * dynamic `/dyn-<n>` namespaces, handlers that join, leave, echo, relay and acknowledge.
 *
 * A crash (uncaught exception, unhandled rejection) is reported over IPC, then the process exits
 * with code 70, as a crash would end it. `ROOMCAST_FUZZ_PLANTED_BUG` plants a deliberate defect
 * for the harness's self-test (see ipc.ts).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Server, type Socket } from "../src/index.ts";
import {
  PLANTED_BUG_ENV,
  PLANTED_TRIGGERS,
  TARGET_TIMERS,
  type PlantedBug,
  type ServerCounters,
  type TargetMessage,
  type TargetRequest,
} from "./ipc.ts";

const planted = (process.env[PLANTED_BUG_ENV] ?? "none") as PlantedBug;

function send(msg: TargetMessage, then?: () => void): void {
  if (process.send) process.send(msg, undefined, undefined, () => then?.());
  else then?.();
}

// Reported first, then the exit a crash would cause: the runner sees both.
for (const kind of ["uncaughtException", "unhandledRejection"] as const) {
  process.on(kind, (err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    send({ type: "crash", kind, message: e.message, stack: e.stack ?? "" }, () => process.exit(70));
  });
}
// Never outlive the runner.
process.on("disconnect", () => process.exit(0));

// Requests outside the engine path get a 404, as from any application (else they would hang).
const httpServer = http.createServer((_req, res) => {
  res.writeHead(404).end();
});
const io = new Server(httpServer, {
  ...TARGET_TIMERS,
  cleanupEmptyChildNamespaces: true,
});

/** The trailing acknowledgement callback of a handler's arguments, if the client asked for one. */
function ackOf(args: unknown[]): ((...reply: unknown[]) => void) | undefined {
  const last = args[args.length - 1];
  return typeof last === "function" ? (last as (...reply: unknown[]) => void) : undefined;
}

/** Arguments without the ack callback (they may be echoed back). */
function dataOf(args: unknown[]): unknown[] {
  return ackOf(args) ? args.slice(0, -1) : args;
}

/** Connections the planted "hang" bug silenced (every namespace of them, the probe's too). */
const muted = new WeakSet<object>();
/** Memory the planted "bloat" bug keeps for ever. */
const hoard: number[][] = [];

function plantBug(socket: Socket, event: unknown): void {
  if (planted === "crash" && event === PLANTED_TRIGGERS.crash) {
    setImmediate(() => {
      throw new Error("planted crash (harness self-test)");
    });
  } else if (planted === "leak" && event === PLANTED_TRIGGERS.leak) {
    // A room nobody ever leaves: the per-case room count never returns to its baseline.
    void socket.nsp.adapter.addAll(`planted-ghost-${socket.id}`, new Set(["planted-leak"]));
  } else if (planted === "hang" && event === PLANTED_TRIGGERS.hang) {
    muted.add(socket.conn);
  } else if (planted === "bloat" && event === PLANTED_TRIGGERS.bloat) {
    // 8 MB on the V8 heap (a packed double array), which heapUsed counts; a Buffer would not be.
    hoard.push(new Array<number>(1_048_576).fill(0.5));
  }
}

/** The application every namespace runs. */
function serve(socket: Socket): void {
  void socket.join("fuzz-room");
  socket.onAny((event: unknown, ...args: unknown[]) => {
    plantBug(socket, event);
    if (event === "fuzz:probe") return;
    // Any acknowledged event gets an answer: the ack path is part of what is fuzzed.
    ackOf(args)?.({ got: typeof event === "string" ? event.slice(0, 64) : typeof event, argc: args.length });
  });
  socket.on("fuzz:probe", (...args: unknown[]) => {
    if (muted.has(socket.conn)) return;
    ackOf(args)?.("alive");
  });
  socket.on("join", (room: unknown) => {
    void socket.join(String(room).slice(0, 64));
  });
  socket.on("leave", (room: unknown) => {
    void socket.leave(String(room).slice(0, 64));
  });
  socket.on("echo", (...args: unknown[]) => {
    socket.emit("echo", ...dataOf(args));
  });
  socket.on("relay", (...args: unknown[]) => {
    socket.to("fuzz-room").emit("relay", ...dataOf(args).slice(0, 2));
  });
  socket.on("kick", (close: unknown) => {
    socket.disconnect(close === true);
  });
  socket.on("disconnecting", () => {
    // Reads the rooms while they are still held, as applications do.
    void socket.rooms.size;
  });
}

io.on("connection", serve);
io.of(/^\/dyn-\d+$/).on("connection", serve);

const admin = io.of("/admin");
admin.use((socket, next) => {
  // Joins before deciding: a refused socket must leave no room behind.
  void socket.join("admin-pending");
  const auth = socket.handshake.auth as Record<string, unknown>;
  if (auth.token === "ok") next();
  else next(Object.assign(new Error("unauthorized"), { data: { hint: "token" } }));
});
admin.on("connection", (socket) => {
  // This namespace, unlike the others, has an `error` listener.
  socket.on("error", () => {});
  serve(socket);
});

function counters(): ServerCounters {
  const sockets: Record<string, number> = {};
  const rooms: Record<string, Record<string, number>> = {};
  for (const [name, nsp] of io._nsps) {
    sockets[name] = nsp.sockets.size;
    const byRoom: Record<string, number> = {};
    for (const [room, members] of nsp.adapter.rooms) byRoom[room] = members.size;
    rooms[name] = byRoom;
  }
  return { clients: io.engine.clientsCount, sockets, rooms };
}

const gc = (globalThis as { gc?: () => void }).gc;

process.on("message", (req: TargetRequest) => {
  switch (req.cmd) {
    case "counters":
      send({ type: "reply", id: req.id, counters: counters() });
      break;
    case "heap": {
      // Two passes: the first may only finalise what the second frees.
      gc?.();
      gc?.();
      const mem = process.memoryUsage();
      send({ type: "reply", id: req.id, heap: { heapUsed: mem.heapUsed, rss: mem.rss } });
      break;
    }
    case "broadcast":
      io.emit("fuzz:tick", req.tick);
      send({ type: "reply", id: req.id });
      break;
  }
});

httpServer.listen(0, "127.0.0.1", () => {
  const { port } = httpServer.address() as AddressInfo;
  send({ type: "ready", port, path: io.path(), pingInterval: TARGET_TIMERS.pingInterval, pingTimeout: TARGET_TIMERS.pingTimeout });
});
