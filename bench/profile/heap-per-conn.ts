/**
 * Deterministic per-connection memory: heap bytes per idle connection after forced GC, and a
 * heap-snapshot diff (objects and self bytes per connection, by constructor / closure name).
 * RSS (bench/memory.ts) is noisy on a loaded machine; these figures are not.
 *
 * The server runs in this process (roomcast, imported from `--root`'s src/index.ts, so an older
 * checkout can be measured with the same script); the clients are raw `ws` WebSockets in a
 * forked child that read the open packet, send `40` and await `40{…}` [SIO5:connect]. The
 * connection handler is the fan-out bench's (a `disconnect` and a `join` listener per socket).
 *
 * Run: `node --expose-gc --import tsx bench/profile/heap-per-conn.ts [--conns 2000]
 *       [--root <checkout>] [--snapshots <file prefix>] [--top 40]`
 */
import { fork, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { writeHeapSnapshot } from "node:v8";
import WebSocket from "ws";

const { values } = parseArgs({
  options: {
    conns: { type: "string", default: "2000" },
    root: { type: "string", default: resolve(fileURLToPath(import.meta.url), "../../..") },
    snapshots: { type: "string" },
    top: { type: "string", default: "40" },
    "client-port": { type: "string" },
  },
});
const conns = Number(values.conns);
const WARM = 50;

/** Child mode: open `n` connections on command, keep them, close them on command. */
async function clients(port: number): Promise<void> {
  let open: WebSocket[] = [];
  const connectOne = (): Promise<WebSocket> =>
    new Promise((done, fail) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
      ws.on("error", fail);
      ws.on("message", (data) => {
        const s = String(data);
        if (s === "2") ws.send("3");
        else if (s.startsWith("0{")) ws.send("40");
        else if (s.startsWith("40{")) done(ws);
      });
    });
  process.on("message", (msg: { cmd: string; n?: number }) => {
    void (async () => {
      if (msg.cmd === "connect") {
        let left = msg.n ?? 0;
        const worker = async (): Promise<void> => {
          while (left-- > 0) open.push(await connectOne());
        };
        await Promise.all(Array.from({ length: 100 }, worker));
        process.send?.({ type: "connected" });
      } else if (msg.cmd === "close") {
        await Promise.all(open.map((ws) => new Promise((done) => (ws.once("close", done), ws.terminate()))));
        open = [];
        process.send?.({ type: "closed" });
      } else process.exit(0);
    })();
  });
  process.send?.({ type: "ready" });
}

interface Agg {
  count: number;
  bytes: number;
}

/** Self size and count per "type:name" of every node in a heap snapshot file. */
function aggregate(file: string): Map<string, Agg> {
  const snap = JSON.parse(readFileSync(file, "utf8")) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const types = snap.snapshot.meta.node_types[0];
  const out = new Map<string, Agg>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt] ?? 0] ?? "?";
    let name = snap.strings[snap.nodes[i + nameAt] ?? 0] ?? "?";
    if (type === "string" || type === "concatenated string" || type === "sliced string") name = "";
    if (name.length > 60) name = `${name.slice(0, 57)}...`;
    const key = `${type}:${name}`;
    const a = out.get(key) ?? { count: 0, bytes: 0 };
    a.count++;
    a.bytes += snap.nodes[i + sizeAt] ?? 0;
    out.set(key, a);
  }
  return out;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error("run with node --expose-gc");
  g();
  g();
}

async function main(): Promise<void> {
  const root = values.root ?? ".";
  const { Server } = (await import(pathToFileURL(resolve(root, "src/index.ts")).href)) as typeof import("../../src/index.ts");
  const http = createServer((_req, res) => res.writeHead(404).end());
  const io = new Server(http, { pingInterval: 600_000, pingTimeout: 600_000 });
  let connected = 0;
  let waiter: { n: number; done: () => void } | undefined;
  const check = (): void => {
    if (waiter !== undefined && connected === waiter.n) {
      const w = waiter;
      waiter = undefined;
      w.done();
    }
  };
  const untilSockets = (n: number): Promise<void> =>
    new Promise((done) => {
      waiter = { n, done };
      check();
    });
  io.on("connection", (socket) => {
    connected++;
    check();
    socket.on("disconnect", () => {
      connected--;
      check();
    });
    socket.on("join", (rooms: unknown, _role: unknown, ack: unknown) => {
      if (!Array.isArray(rooms)) return;
      void Promise.resolve(socket.join(rooms as string[])).then(() => {
        if (typeof ack === "function") (ack as () => void)();
      });
    });
  });
  await new Promise<void>((done) => http.listen(0, "127.0.0.1", done));
  const port = (http.address() as AddressInfo).port;
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ["--client-port", String(port)], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = (type: string): Promise<void> =>
    new Promise((done) => {
      const on = (m: { type: string }): void => {
        if (m.type === type) {
          child.off("message", on);
          done();
        }
      };
      child.on("message", on);
    });
  await next("ready");
  const ask = (cmd: object, type: string): Promise<void> => {
    const p = next(type);
    child.send(cmd);
    return p;
  };
  await ask({ cmd: "connect", n: WARM }, "connected");
  await untilSockets(WARM);
  await ask({ cmd: "close" }, "closed");
  await untilSockets(0);
  // Let closes finish their ticks (timers, pending writes) before the baseline.
  await new Promise((done) => setTimeout(done, 200));
  gc();
  const m0 = process.memoryUsage();
  const h0 = m0.heapUsed;
  const prefix = values.snapshots;
  const fileA = prefix === undefined ? undefined : writeHeapSnapshot(`${prefix}-before.heapsnapshot`);
  await ask({ cmd: "connect", n: conns }, "connected");
  await untilSockets(conns);
  await new Promise((done) => setTimeout(done, 200));
  gc();
  const m1 = process.memoryUsage();
  const h1 = m1.heapUsed;
  const fileB = prefix === undefined ? undefined : writeHeapSnapshot(`${prefix}-after.heapsnapshot`);
  const per = (k: "rss" | "heapTotal" | "external" | "arrayBuffers"): string => ((m1[k] - m0[k]) / conns).toFixed(0);
  console.log(`heapUsed per connection: ${((h1 - h0) / conns).toFixed(0)} bytes (${conns} connections, ${root})`);
  console.log(`  rss ${per("rss")}, heapTotal ${per("heapTotal")}, external ${per("external")}, arrayBuffers ${per("arrayBuffers")} bytes per connection`);
  child.send({ cmd: "exit" });
  await Promise.resolve(io.close());
  if (fileA !== undefined && fileB !== undefined) {
    const a = aggregate(fileA);
    const b = aggregate(fileB);
    const rows: { key: string; count: number; bytes: number }[] = [];
    let total = 0;
    for (const [key, after] of b) {
      const before = a.get(key) ?? { count: 0, bytes: 0 };
      const row = { key, count: (after.count - before.count) / conns, bytes: (after.bytes - before.bytes) / conns };
      total += row.bytes;
      rows.push(row);
    }
    rows.sort((x, y) => y.bytes - x.bytes);
    console.log(`snapshot self bytes per connection: ${total.toFixed(0)}`);
    console.log("per connection: objects  bytes  type:name");
    for (const r of rows.slice(0, Number(values.top))) {
      if (Math.abs(r.count) < 0.01 && Math.abs(r.bytes) < 1) continue;
      console.log(`${r.count.toFixed(2).padStart(8)} ${r.bytes.toFixed(0).padStart(7)}  ${r.key}`);
    }
    if (process.env.KEEP_SNAPSHOTS === undefined) {
      rmSync(fileA);
      rmSync(fileB);
    }
  }
  process.exit(0);
}

if (values["client-port"] !== undefined) void clients(Number(values["client-port"]));
else await main();
