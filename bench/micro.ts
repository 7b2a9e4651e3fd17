/**
 * Micro benchmark: one broadcast's recipient resolution plus encoding, roomcast's
 * Adapter against socket.io's in-memory adapter, side by side in one process, with writes
 * replaced by a counter. Reports ns per recipient and the ratio roomcast / socket.io per case;
 * writes bench/results/micro-<timestamp>.json and micro-latest.json.
 *
 * Run: `node --import tsx bench/micro.ts [--quick] [--sockets 1000] [--max-time 2] [--out dir]`.
 */
import Benchmark from "benchmark";
import { parseArgs } from "node:util";
import { counter, idOf, roomcastBroadcast, socketioBroadcast, type Broadcast, type BroadcastOpts, type Membership } from "./micro-fakes.ts";
import { unionRooms } from "./fanout/scenarios.ts";
import { RESULTS_DIR, machineInfo, writeResult } from "./results.ts";
import { fmt, ratio, table } from "./stats.ts";

/** The goal for ns per recipient, roomcast / socket.io, in every case (not judged in quick mode). */
const TARGET = 0.5;

interface Case {
  id: string;
  title: string;
  membership: Membership;
  opts: BroadcastOpts;
  recipients: number;
}

function cases(n: number): Case[] {
  const inR0: Membership = Array.from({ length: n }, () => ["r0"]);
  const x = Math.ceil(n / 4);
  return [
    { id: "room", title: `one room of ${n}`, membership: inR0, opts: { rooms: new Set(["r0"]), flags: {} }, recipients: n },
    {
      id: "union3",
      title: "union of 3 overlapping rooms",
      membership: Array.from({ length: n }, (_, i) => unionRooms(i)),
      opts: { rooms: new Set(["r0", "r1", "r2"]), flags: {} },
      recipients: n,
    },
    {
      // socket.to(room) from a member: both servers exclude the sender through its own room.
      id: "room-sender",
      title: "one room, sender excluded",
      membership: inR0,
      opts: { rooms: new Set(["r0"]), except: new Set([idOf(0)]), flags: {} },
      recipients: n - 1,
    },
    {
      id: "except",
      title: `except(room) (${x} of ${n + x} excluded)`,
      membership: Array.from({ length: n + x }, (_, i) => (i % 5 === 4 && i < 5 * x ? ["x"] : ["p"])),
      opts: { rooms: new Set(), except: new Set(["x"]), flags: {} },
      recipients: n,
    },
    { id: "all", title: `all ${n} sockets`, membership: Array.from({ length: n }, () => []), opts: { rooms: new Set(), flags: {} }, recipients: n },
  ];
}

/** Both adapters must reach exactly the intended recipients before anything is timed. */
function checkRecipients(c: Case, impl: string, broadcast: Broadcast): void {
  const before = counter.writes;
  broadcast(0);
  const got = counter.writes - before;
  if (got !== c.recipients) throw new Error(`${impl} reached ${got} recipients in case ${c.id}, expected ${c.recipients}`);
}

/** The JSON this script writes (bench/bench.ts reads it back). */
export interface MicroResult {
  kind: "micro";
  date: string;
  config: { sockets: number; maxTime: number };
  cases: { case: string; title: string; recipients: number; roomcast: Timing; socketio: Timing; ratio: number; target: number }[];
}

/** One adapter's timing in one case. */
export interface Timing {
  nsPerRecipient: number;
  /** Relative margin of error of the mean, %. */
  rme: number;
  opsPerSec: number;
  samples: number;
}

function time(name: string, broadcast: Broadcast, recipients: number, maxTime: number): Timing {
  let seq = 0;
  const bench = new Benchmark(name, () => broadcast(seq++), { maxTime, minSamples: 5 });
  bench.run({ async: false });
  if (bench.error) throw bench.error;
  return {
    nsPerRecipient: (bench.stats.mean * 1e9) / recipients,
    rme: bench.stats.rme,
    opsPerSec: bench.hz,
    samples: bench.stats.sample.length,
  };
}

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    sockets: { type: "string", default: "1000" },
    "max-time": { type: "string" },
    out: { type: "string", default: RESULTS_DIR },
  },
});
const n = Number(values.sockets);
const maxTime = Number(values["max-time"] ?? (values.quick ? "0.3" : "2"));
if (!Number.isInteger(n) || n < 2 || !(maxTime > 0)) {
  console.error("usage: bench/micro.ts [--quick] [--sockets <int ≥ 2>] [--max-time <seconds>] [--out <dir>]");
  process.exit(2);
}

const machine = machineInfo();
const results: MicroResult["cases"] = [];
const judge = values.quick !== true;
const rows: string[][] = [["case", "recips", "roomcast ns/recip", "±%", "socket.io ns/recip", "±%", "ratio", ...(judge ? [`goal ≤${TARGET}`] : [])]];
for (const c of cases(n)) {
  const rc = roomcastBroadcast(c.membership, c.opts);
  const sio = socketioBroadcast(c.membership, c.opts);
  checkRecipients(c, "roomcast", rc);
  checkRecipients(c, "socket.io", sio);
  const roomcast = time(`roomcast ${c.id}`, rc, c.recipients, maxTime);
  const socketio = time(`socket.io ${c.id}`, sio, c.recipients, maxTime);
  const r = ratio(roomcast.nsPerRecipient, socketio.nsPerRecipient);
  results.push({ case: c.id, title: c.title, recipients: c.recipients, roomcast, socketio, ratio: r, target: TARGET });
  rows.push([
    `${c.id}: ${c.title}`,
    String(c.recipients),
    fmt(roomcast.nsPerRecipient, 1),
    fmt(roomcast.rme, 1),
    fmt(socketio.nsPerRecipient, 1),
    fmt(socketio.rme, 1),
    fmt(r),
    ...(judge ? [r <= TARGET ? "meets" : "misses"] : []),
  ]);
  console.log(`micro ${c.id}: roomcast ${fmt(roomcast.nsPerRecipient, 1)} ns/recip, socket.io ${fmt(socketio.nsPerRecipient, 1)} ns/recip`);
}
console.log(
  `\nmicro: recipient resolution + encoding per broadcast, writes counted not sent; ${n} sockets; ` +
    `benchmark.js maxTime ${maxTime}s per test; ratio = roomcast / socket.io.` +
    `${judge ? "" : "\nquick run: too short to judge; ratios shown, no goals."}\n${table(rows)}\n`,
);
const json: MicroResult & { machine: unknown } = { kind: "micro", date: new Date().toISOString(), machine, config: { sockets: n, maxTime }, cases: results };
const paths = writeResult(values.out ?? RESULTS_DIR, "micro", "json", `${JSON.stringify(json, null, 2)}\n`);
console.log(`wrote ${paths.join(", ")}`);
