/**
 * Two-node fan-out through Redis: roomcast + its Redis adapter against socket.io +
 * @socket.io/redis-adapter, and roomcast + @socket.io/redis-adapter (socket.io's adapter on
 * roomcast: the third-party path of src/compat/socket-io-adapter.ts), on the same Redis, in one
 * run, alternating.
 *
 * Each configuration runs in two fresh server processes (server-node.ts); N raw WebSocket
 * clients (raw-clients.ts, in this process) are split across them; node 0 broadcasts and every
 * delivery is checked (own room only, each seq once, in order). Two scenarios:
 *
 *   fanout       one room with all N clients (N/2 on each node); M broadcasts to it.
 *   partitioned  10 rooms, p0–p4 living on node 0 only and p5–p9 on node 1 only; MP broadcasts
 *                round-robin over the 10 rooms. With a pattern subscription every node hears
 *                every broadcast (socketio/socket.io#5226); per-room and sharded-dynamic
 *                subscriptions hear only their rooms'.
 *   elsewhere    like partitioned, but every broadcast room lives on node 0; node 1 only has
 *                sockets in an idle room, so whatever CPU it spends is pure overhead.
 *
 * Reported per configuration (median over rounds): deliveries/s and broadcasts/s (wall time
 * from "go" to the last delivery), server CPU µs per delivered message (both nodes' user+system
 * CPU over the phase, until a final "drain" broadcast reached every node, / deliveries), each
 * node's CPU ms, the pub/sub messages each node's subscriber received, the
 * bytes Redis sent (INFO total_net_output_bytes delta), and this process's CPU% (the load
 * generator; near 100% would mean it, not the servers, is the bottleneck).
 *
 * Usage: node --import tsx bench/cluster/two-node.ts [--n 200] [--m 1000] [--mp 5000] [--rounds 2]
 *        [--only "roomcast,socket.io"] [--redis redis://127.0.0.1:6379]
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createClient } from "redis";
import { fmt, fmtRate, median, table } from "../stats.ts";
import type { ToChild, ToParent } from "./ipc.ts";
import { ClientSet } from "./raw-clients.ts";

const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "200" },
    m: { type: "string", default: "1000" },
    mp: { type: "string", default: "5000" },
    rounds: { type: "string", default: "2" },
    only: { type: "string", default: "" },
    redis: { type: "string", default: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" },
  },
});
const N = Number(args.n);
const M = Number(args.m);
const MP = Number(args.mp);
const ROUNDS = Number(args.rounds);
const PAYLOAD = "x".repeat(64);
const BURST = 20;
const PHASE_TIMEOUT_MS = 60_000;

interface Config {
  name: string;
  /** roomcast with its adapter, socket.io with its adapter, or roomcast with socket.io's ("roomcast-sio"). */
  impl: "roomcast" | "socketio" | "roomcast-sio";
  protocol: "classic" | "sharded";
  mode: string;
}

const ALL_CONFIGS: Config[] = [
  { name: "socket.io createAdapter", impl: "socketio", protocol: "classic", mode: "pattern" },
  { name: "roomcast pattern", impl: "roomcast", protocol: "classic", mode: "pattern" },
  { name: "roomcast + socket.io createAdapter", impl: "roomcast-sio", protocol: "classic", mode: "pattern" },
  { name: "socket.io createShardedAdapter dynamic", impl: "socketio", protocol: "sharded", mode: "dynamic" },
  { name: "roomcast per-room", impl: "roomcast", protocol: "classic", mode: "per-room" },
  { name: "roomcast sharded dynamic", impl: "roomcast", protocol: "sharded", mode: "dynamic" },
  { name: "roomcast + socket.io createShardedAdapter", impl: "roomcast-sio", protocol: "sharded", mode: "dynamic" },
];
const CONFIGS = ALL_CONFIGS.filter((c) => args.only === "" || args.only.split(",").some((o) => c.name.startsWith(o)));

interface Scenario {
  name: string;
  /** The room of client i and the node it connects to. */
  place(i: number): { room: string; node: 0 | 1 };
  rooms: string[];
  /** Broadcasts from node 0, round-robin over `rooms`. */
  count: number;
  /** Messages a client in `room` must receive. */
  quota(room: string): number;
}

/** Deliveries one run of `scenario` must make. */
function deliveriesOf(scenario: Scenario): number {
  let total = 0;
  for (let i = 0; i < N; i++) total += scenario.quota(scenario.place(i).room);
  return total;
}

const SCENARIOS: Scenario[] = [
  { name: "fanout", rooms: ["all"], count: M, quota: () => M, place: (i) => ({ room: "all", node: (i % 2) as 0 | 1 }) },
  {
    name: "partitioned",
    rooms: Array.from({ length: 10 }, (_, r) => `p${r}`),
    count: MP,
    quota: () => MP / 10,
    place: (i) => ({ room: `p${i % 10}`, node: i % 10 < 5 ? 0 : 1 }),
  },
  {
    // Node 1 has sockets, but none in the rooms broadcast to: all it does is overhead.
    name: "elsewhere",
    rooms: Array.from({ length: 10 }, (_, r) => `e${r}`),
    count: MP,
    quota: (room) => (room === "idle" ? 0 : MP / 10),
    place: (i) => (i % 11 === 10 ? { room: "idle", node: 1 } : { room: `e${i % 11}`, node: 0 }),
  },
];

interface Sample {
  wallMs: number;
  cpuUs: [number, number];
  received: [number, number];
  redisBytes: number;
  loadgenCpuPct: number;
  errors: string[];
}

class Node {
  readonly child: ChildProcess;
  readonly ready: Promise<number>;
  private waiters: Array<{ t: ToParent["t"]; resolve: (msg: ToParent) => void }> = [];

  constructor(config: Config, key: string) {
    const file = fileURLToPath(new URL("./server-node.ts", import.meta.url));
    this.child = fork(file, [config.impl, config.protocol, config.mode, key, args.redis], { execArgv: ["--import", "tsx"] });
    this.child.on("message", (msg: ToParent) => {
      const i = this.waiters.findIndex((w) => w.t === msg.t);
      if (i >= 0) this.waiters.splice(i, 1)[0]?.resolve(msg);
    });
    this.ready = this.next("ready").then((msg) => (msg.t === "ready" ? msg.port : -1));
  }

  next(t: ToParent["t"]): Promise<ToParent> {
    return new Promise((resolve) => this.waiters.push({ t, resolve }));
  }

  ask(msg: ToChild, answer: ToParent["t"]): Promise<ToParent> {
    const reply = this.next(answer);
    this.child.send(msg);
    return reply;
  }

  async stats(): Promise<{ cpuUs: number; received: number }> {
    const msg = await this.ask({ t: "stats" }, "stats");
    return msg.t === "stats" ? msg : { cpuUs: Number.NaN, received: Number.NaN };
  }

  exit(): Promise<void> {
    const gone = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.send({ t: "exit" });
    return gone;
  }
}

const redis = createClient({ url: args.redis });
redis.on("error", (err: unknown) => console.error("redis", err));
await redis.connect();

async function redisOutBytes(): Promise<number> {
  const info = await redis.info("stats");
  const match = /total_net_output_bytes:(\d+)/.exec(info);
  return match ? Number(match[1]) : Number.NaN;
}

async function runScenario(nodes: [Node, Node], ports: [number, number], scenario: Scenario): Promise<Sample> {
  const clients = new ClientSet();
  for (let i = 0; i < N; i++) {
    const { room, node } = scenario.place(i);
    await clients.add(ports[node], room);
  }
  await Promise.all(nodes.map((n) => n.ask({ t: "settle" }, "settled")));
  await Promise.all(nodes.map((n) => n.ask({ t: "reset" }, "reset")));
  const done = clients.expect(scenario.quota);
  const bytes0 = await redisOutBytes();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  nodes[0].child.send({ t: "go", rooms: scenario.rooms, count: scenario.count, burst: BURST, payload: PAYLOAD } satisfies ToChild);
  let timer: NodeJS.Timeout | undefined;
  const finished = await Promise.race([
    done.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(resolve, PHASE_TIMEOUT_MS, false))),
  ]);
  clearTimeout(timer);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // The deliveries are done, but a node may still be handling broadcasts it only hears (a
  // room it does not have): wait until a later broadcast reached every node.
  const drained = clients.drain();
  nodes[0].child.send({ t: "drain" } satisfies ToChild);
  await drained;
  const [s0, s1] = await Promise.all([nodes[0].stats(), nodes[1].stats()]);
  const redisBytes = (await redisOutBytes()) - bytes0;
  if (!finished) clients.errors.push(`timed out: ${clients.delivered} of ${clients.expected} delivered`);
  clients.close();
  return {
    wallMs,
    cpuUs: [s0.cpuUs, s1.cpuUs],
    received: [s0.received, s1.received],
    redisBytes,
    loadgenCpuPct: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
    errors: clients.errors,
  };
}

const results = new Map<string, Sample[]>();
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order every round so neither implementation always runs on a warmer machine.
  const order = round % 2 === 0 ? CONFIGS : [...CONFIGS].reverse();
  for (const config of order) {
    const key = `bench-${randomBytes(4).toString("hex")}`;
    const nodes: [Node, Node] = [new Node(config, key), new Node(config, key)];
    const ports = (await Promise.all(nodes.map((n) => n.ready))) as [number, number];
    for (const scenario of SCENARIOS) {
      const sample = await runScenario(nodes, ports, scenario);
      const id = `${scenario.name}|${config.name}`;
      results.set(id, [...(results.get(id) ?? []), sample]);
      const status = sample.errors.length === 0 ? "ok" : `FAILED: ${sample.errors.slice(0, 3).join("; ")}`;
      console.error(`round ${round + 1} ${scenario.name.padEnd(11)} ${config.name.padEnd(38)} ${fmt(sample.wallMs, 0)} ms ${status}`);
    }
    await Promise.all(nodes.map((n) => n.exit()));
  }
}
await redis.close();

for (const scenario of SCENARIOS) {
  const deliveries = deliveriesOf(scenario);
  const rows: string[][] = [
    ["config", "deliveries/s", "broadcasts/s", "CPU µs/delivery", "node0 CPU ms", "node1 CPU ms", "node0 recv", "node1 recv", "redis out KB", "loadgen CPU%", "checked"],
  ];
  for (const config of CONFIGS) {
    const samples = results.get(`${scenario.name}|${config.name}`) ?? [];
    const wall = median(samples.map((s) => s.wallMs));
    const med = (f: (s: Sample) => number): number => median(samples.map(f));
    rows.push([
      config.name,
      fmtRate((deliveries / wall) * 1000),
      fmtRate((scenario.count / wall) * 1000),
      fmt(med((s) => (s.cpuUs[0] + s.cpuUs[1]) / deliveries)),
      fmt(med((s) => s.cpuUs[0] / 1000), 0),
      fmt(med((s) => s.cpuUs[1] / 1000), 0),
      fmt(med((s) => s.received[0]), 0),
      fmt(med((s) => s.received[1]), 0),
      fmt(med((s) => s.redisBytes / 1024), 0),
      fmt(med((s) => s.loadgenCpuPct), 0),
      samples.every((s) => s.errors.length === 0) ? `${samples.length}/${samples.length} ok` : "ERRORS",
    ]);
  }
  console.log(`\n${scenario.name}: N=${N} clients over 2 nodes, ${scenario.count} broadcasts from node 0, ${deliveries} deliveries per run, median of ${ROUNDS}`);
  console.log(table(rows));
}
