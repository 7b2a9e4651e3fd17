/**
 * The benchmark server, in its own process: roomcast, socket.io or the bare floor server
 * (`--impl roomcast|socketio|bare`, see bare-server.ts), driven through the API they share
 * (bench-io.ts). `--impl roomcast-metrics` (or `--metrics` with roomcast) turns roomcast's
 * `metrics` option on, Prometheus exporter included (nothing scrapes it during a run: this
 * measures what counting costs the broadcast path); `roomcast-recovery` and `socketio-recovery`
 * run with connection state recovery on; `roomcast-wd1` passes `writeDelay: 1` (a server that
 * refuses the option reports so and exits). It takes commands over IPC from the orchestrator and
 * answers with snapshots of its own CPU and memory, so the orchestrator can charge each phase
 * exactly.
 *
 * Clients join rooms with `42<id>["join", rooms, role]` and get an empty ack; role "sender"
 * marks the socket scenario (c) broadcasts from.
 *
 * Broadcast method: the server runs `count` broadcasts of `["m", seq, stampMs, "hello"]`,
 * `burst` of them synchronously per event-loop turn, then awaits `setImmediate` so the event
 * loop can flush sockets and read input between bursts (a server under load, not one
 * synchronous loop). It does not wait for clients: it sends as fast as it can.
 *
 * Paced method (the latency mode, see pacer.ts): broadcast i is due at start + i / rate; the
 * server sleeps until the next due time, and when it is behind it sends the due broadcasts one
 * per event-loop turn without sleeping, then reports how far behind it fell.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setImmediate as turn } from "node:timers/promises";
import { parseArgs } from "node:util";
import { callgrindDump, callgrindZero } from "./callgrind.ts";
import type { BenchIo, BenchSocket } from "./bench-io.ts";
import { ALL_IMPLS, epochMs, snapshot, type Impl, type ServerCommand, type ServerReply } from "./ipc.ts";
import { runPaced } from "./pacer.ts";
import type { BroadcastKind } from "./scenarios.ts";

const { values } = parseArgs({
  options: {
    impl: { type: "string", default: "roomcast" },
    fault: { type: "string", default: "" },
    metrics: { type: "boolean", default: false },
  },
});
const found = ALL_IMPLS.find((i) => i === values.impl);
if (found === undefined) throw new Error(`unknown --impl "${values.impl}" (known: ${ALL_IMPLS.join(",")})`);
const impl: Impl = found;
/**
 * Test-only fault injection, to prove the delivery check fails: "sender-echo" uses io.to in (c);
 * "paced-skip" leaves out the second broadcast of every paced phase.
 */
const fault = values.fault ?? "";

function reply(msg: ServerReply): void {
  process.send?.(msg);
}

const http = createServer((_req, res) => {
  res.writeHead(404).end();
});

/** `writeDelay: 1` for roomcast-wd1; a roomcast without that option refuses it at construction. */
async function createWriteDelayed(): Promise<BenchIo> {
  const { Server } = await import("../../src/index.ts");
  // Built as a plain record: the option's type may not exist in this version of roomcast.
  const options: Record<string, unknown> = { writeDelay: 1 };
  try {
    return new Server(http, options as ConstructorParameters<typeof Server>[1]);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`roomcast-wd1: this roomcast refuses the server option writeDelay: 1 (${why}); run without roomcast-wd1`);
  }
}

async function createIo(): Promise<BenchIo> {
  if (impl === "roomcast-wd1") return createWriteDelayed();
  // The same option for both servers: every broadcast is logged and carries its offset.
  const recovery = {
    ...(impl.endsWith("-recovery") ? { connectionStateRecovery: {} } : {}),
    // Instruction counting (callgrind.ts): no heartbeat inside a slowed-down measured phase.
    ...(process.env.BENCH_CALLGRIND ? { pingInterval: 600_000, pingTimeout: 600_000 } : {}),
  };
  if (impl === "roomcast" || impl === "roomcast-metrics" || impl === "roomcast-recovery") {
    const { Server } = await import("../../src/index.ts");
    const metrics = impl === "roomcast-metrics" || values.metrics === true;
    return new Server(http, { ...recovery, ...(metrics ? { metrics: { path: "/metrics" } } : {}) });
  }
  if (impl === "bare") {
    const { BareServer } = await import("./bare-server.ts");
    return new BareServer(http);
  }
  const { Server } = await import("socket.io");
  return new Server(http, recovery);
}

let created: BenchIo;
try {
  created = await createIo();
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  console.error(message);
  // Exit once the orchestrator has the message (process.send is asynchronous).
  await new Promise<void>((sent) => (process.send ? process.send({ type: "error", message } satisfies ServerReply, () => sent()) : sent()));
  process.exit(1);
}
const io = created;
let sender: BenchSocket | undefined;
let connected = 0;
let socketWaiter: { count: number; done: () => void } | undefined;

function checkSocketWaiter(): void {
  if (socketWaiter !== undefined && connected === socketWaiter.count) {
    const w = socketWaiter;
    socketWaiter = undefined;
    w.done();
  }
}

io.on("connection", (socket) => {
  connected++;
  checkSocketWaiter();
  socket.on("disconnect", () => {
    connected--;
    if (sender === socket) sender = undefined;
    checkSocketWaiter();
  });
  socket.on("join", (rooms: unknown, role: unknown, ack: unknown) => {
    if (!Array.isArray(rooms) || !rooms.every((r): r is string => typeof r === "string")) return;
    if (role === "sender") sender = socket;
    void Promise.resolve(socket.join(rooms)).then(() => {
      if (typeof ack === "function") ack();
    });
  });
});

function broadcastOne(kind: BroadcastKind, seq: number): void {
  switch (kind) {
    case "room":
      io.to("r0").emit("m", seq, epochMs(), "hello");
      return;
    case "union":
      io.to("r0").to("r1").to("r2").emit("m", seq, epochMs(), "hello");
      return;
    case "sender":
      if (sender === undefined) throw new Error("scenario c: no sender socket has joined");
      if (fault === "sender-echo") io.to("r0").emit("m", seq, epochMs(), "hello");
      else sender.to("r0").emit("m", seq, epochMs(), "hello");
      return;
    case "except":
      io.except("x").emit("m", seq, epochMs(), "hello");
      return;
  }
}

async function runBroadcasts(kind: BroadcastKind, from: number, count: number, burst: number): Promise<void> {
  const end = from + count;
  let seq = from;
  while (seq < end) {
    const stop = Math.min(end, seq + burst);
    for (; seq < stop; seq++) broadcastOne(kind, seq);
    await turn();
  }
}

function collectGarbage(): void {
  // Twice: the first pass may only schedule finalisers that free more on the second.
  globalThis.gc?.();
  globalThis.gc?.();
}

async function handle(cmd: ServerCommand): Promise<void> {
  switch (cmd.cmd) {
    case "broadcast": {
      if (cmd.gc) collectGarbage();
      if (cmd.gc) await callgrindZero(impl, cmd.kind, cmd.count);
      reply({ type: "started", snap: snapshot() });
      await runBroadcasts(cmd.kind, cmd.from, cmd.count, cmd.burst);
      reply({ type: "sent", snap: snapshot() });
      return;
    }
    case "paced": {
      if (cmd.gc) collectGarbage();
      reply({ type: "started", snap: snapshot() });
      const pace = await runPaced(cmd.count, cmd.ratePerSec, (i) => {
        if (fault !== "paced-skip" || i !== 1) broadcastOne(cmd.kind, cmd.from + i);
      });
      reply({ type: "sent", snap: snapshot(), pace });
      return;
    }
    case "snap": {
      const want = cmd.sockets;
      if (want !== undefined && connected !== want) {
        await new Promise<void>((done) => {
          socketWaiter = { count: want, done };
        });
      }
      if (cmd.gc) collectGarbage();
      if (!cmd.gc) await callgrindDump();
      reply({ type: "snap", snap: snapshot(), sockets: connected });
      return;
    }
    case "end":
      io.emit("end");
      reply({ type: "ended" });
      return;
    case "exit":
      await Promise.resolve(io.close());
      process.exit(0);
  }
}

process.on("message", (cmd: ServerCommand) => {
  handle(cmd).catch((err: unknown) => {
    reply({ type: "error", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  });
});
// The orchestrator went away: nothing left to serve.
process.on("disconnect", () => process.exit(0));

http.listen(0, "127.0.0.1", () => {
  reply({ type: "ready", port: (http.address() as AddressInfo).port, impl });
});
