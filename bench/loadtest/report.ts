/**
 * The report of a run: one JSON-friendly object (`--json`), and the table people read.
 */
import { cpus, loadavg } from "node:os";
import { fmt, fmtRate, table } from "../stats.ts";
import type { Percentiles } from "./histogram.ts";
import type { LoadTestOptions } from "./options.ts";
import { isLocalHost } from "./preflight.ts";
import type { Tally, TimelinePoint } from "./tally.ts";

/** How a run ended. */
export type Outcome = "completed" | "interrupted" | "unreachable" | "deadline";

/** Timings measured by the run's phases. */
export interface RunFigures {
  rampMs: number;
  trafficMs: number;
  /** From the start of traffic to the later of its end and the last delivery. */
  receiveWindowMs: number;
  /** Why the first client could not connect, when it could not. */
  probeError: string | undefined;
  /** Clients started. */
  attempted: number;
  /** Bytes on the wire, both ways (WebSocket payloads, or HTTP bodies for polling). */
  bytesOut: number;
  bytesIn: number;
  /** The closing of every connection at the end: how long, and how many closed politely or were cut. */
  closeMs: number;
  closedClean: number;
  closedCut: number;
}

/** Everything a run reports. Percentiles and rates are null (NaN in memory) when there was nothing to measure. */
export interface LoadTestReport {
  tool: "roomcast-loadtest";
  outcome: Outcome;
  /** Completed, every client ready and still connected, and every expected delivery arrived. */
  ok: boolean;
  target: { url: string; engineUrl: string; namespace: string; transport: string; local: boolean };
  config: {
    clients: number;
    rooms: number;
    roomPrefix: string;
    joinEvent: string | null;
    joinAck: boolean;
    messageEvent: string;
    rate: number;
    durationS: number;
    ramp: number;
    payload: number;
  };
  startedAt: string;
  machine: { cpus: number; loadavg1: number; node: string };
  connect: {
    attempted: number;
    connected: number;
    ready: number;
    failed: number;
    /** Seconds from the first connection of the ramp to the last settled client. */
    seconds: number;
    /** Clients connected per second over the ramp. */
    perSecond: number;
    /** Start to Socket.IO CONNECT answered (TCP, WebSocket upgrade or polling handshake, namespace). */
    connectMs: Percentiles;
    /** CONNECT answered to join acknowledged. */
    joinMs: Percentiles;
  };
  errors: { total: number; byKind: Record<string, number>; samples: string[] };
  /** Clients that were ready and lost their connection during the run. */
  dropped: number;
  /** The end: ready clients whose close the server answered in time (`clean`) or that were cut after 3 s. */
  close: { clean: number; cut: number; seconds: number };
  traffic: {
    seconds: number;
    sent: number;
    sendRate: number;
    expected: number;
    received: number;
    receiveRate: number;
    deliveredPct: number;
    echoes: number;
    foreign: number;
    otherEvents: number;
  };
  /** Send stamp to receipt, for every delivery (log buckets: ±0.5%). */
  latencyMs: Percentiles;
  bytes: { sent: number; received: number };
  loadgen: { cpuPct: number; loopDelayP99Ms: number; loopDelayMaxMs: number };
  timeline: TimelinePoint[];
  warnings: string[];
  /** The first client's error, when the target could not be reached. */
  error?: string;
}

/** What {@link buildReport} needs. */
export interface ReportInput {
  opts: LoadTestOptions;
  tally: Tally;
  outcome: Outcome;
  figures: RunFigures;
  startedAt: Date;
  warnings: string[];
  loadgen: LoadTestReport["loadgen"];
}

/** Assembles the report and adds the warnings the counts call for. */
export function buildReport(input: ReportInput): LoadTestReport {
  const { opts, tally, outcome, figures } = input;
  const warnings = [...input.warnings];
  const trafficS = figures.trafficMs / 1000;
  const receiveS = figures.receiveWindowMs / 1000;
  if (tally.sent > 0 && tally.received === 0 && tally.echoes === 0) {
    warnings.push(
      `no message came back: the server must relay "${opts.messageEvent}" to the sender's room (see README, Load testing)` +
        (opts.payload > 500 ? "; the chat demo refuses messages over 500 characters" : ""),
    );
  } else if (tally.received < tally.expected && outcome === "completed") {
    warnings.push(`${tally.expected - tally.received} expected deliveries did not arrive within ${opts.drainS} s after the last message (--drain)`);
  }
  if (tally.echoes > 0) warnings.push(`${tally.echoes} messages came back to their sender (the server relays to the whole room, sender included)`);
  if (input.loadgen.cpuPct > 90) {
    warnings.push(`the load generator used ${input.loadgen.cpuPct.toFixed(0)}% of a core: latency includes its own queueing; use fewer clients per process`);
  }
  if (tally.sent > 0 && tally.sent < Math.floor(opts.rate * opts.durationS) * 0.95 && outcome === "completed") {
    warnings.push(
      `sent ${(tally.sent / trafficS).toFixed(1)} msgs/s of the ${opts.rate} asked: the load generator fell behind ` +
        `(event-loop delay p99 ${input.loadgen.loopDelayP99Ms.toFixed(0)} ms, max ${input.loadgen.loopDelayMaxMs.toFixed(0)} ms: a busy process or machine)`,
    );
  }
  const total = [...tally.failures.values()].reduce((a, b) => a + b, 0);
  const report: LoadTestReport = {
    tool: "roomcast-loadtest",
    outcome,
    ok: outcome === "completed" && tally.ready === opts.clients && total === 0 && tally.received >= tally.expected && figures.closedCut === 0,
    target: { url: opts.url, engineUrl: opts.engineUrl.href, namespace: opts.nsp, transport: opts.transport, local: isLocalHost(opts.engineUrl.hostname) },
    config: {
      clients: opts.clients,
      rooms: opts.rooms,
      roomPrefix: opts.roomPrefix,
      joinEvent: opts.rooms > 0 ? opts.joinEvent : null,
      joinAck: opts.joinAck,
      messageEvent: opts.messageEvent,
      rate: opts.rate,
      durationS: opts.durationS,
      ramp: opts.ramp,
      payload: opts.payload,
    },
    startedAt: input.startedAt.toISOString(),
    machine: { cpus: cpus().length, loadavg1: loadavg()[0] ?? Number.NaN, node: process.version },
    connect: {
      attempted: figures.attempted,
      connected: tally.connected,
      ready: tally.ready + tally.dropped,
      failed: tally.failed,
      seconds: figures.rampMs / 1000,
      perSecond: figures.rampMs > 0 ? tally.connected / (figures.rampMs / 1000) : Number.NaN,
      connectMs: tally.connectMs.percentiles(),
      joinMs: tally.joinMs.percentiles(),
    },
    errors: { total, byKind: tally.errorCounts(), samples: tally.errorSamples },
    dropped: tally.dropped,
    close: { clean: figures.closedClean, cut: figures.closedCut, seconds: figures.closeMs / 1000 },
    traffic: {
      seconds: trafficS,
      sent: tally.sent,
      sendRate: trafficS > 0 ? tally.sent / trafficS : Number.NaN,
      expected: tally.expected,
      received: tally.received,
      receiveRate: receiveS > 0 ? tally.received / receiveS : Number.NaN,
      deliveredPct: tally.expected > 0 ? (tally.received / tally.expected) * 100 : Number.NaN,
      echoes: tally.echoes,
      foreign: tally.foreign,
      otherEvents: tally.otherEvents,
    },
    latencyMs: tally.latencyMs.percentiles(),
    bytes: { sent: figures.bytesOut, received: figures.bytesIn },
    loadgen: input.loadgen,
    timeline: tally.timeline,
    warnings,
  };
  if (figures.probeError !== undefined) report.error = figures.probeError;
  return report;
}

function ms(value: number): string {
  return fmt(value, value < 10 ? 2 : value < 100 ? 1 : 0);
}

function bytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

function percentileRow(name: string, p: Percentiles): string[] {
  return [name, String(p.count), ms(p.p50), ms(p.p90), ms(p.p99), ms(p.p999), ms(p.max)];
}

/** The report as people read it: a few lines and one table of times. */
export function formatReport(r: LoadTestReport): string {
  const lines: string[] = [];
  const c = r.config;
  lines.push(`roomcast loadtest: ${r.target.url} (${r.target.transport}, namespace ${r.target.namespace}) — ${r.outcome}${r.ok ? "" : ", not ok"}`);
  if (r.error !== undefined) lines.push(`cannot connect: ${r.error}`);
  const rooms = c.rooms === 0 ? "no join" : `${c.rooms} room${c.rooms === 1 ? "" : "s"} via "${c.joinEvent}"${c.joinAck ? " (acked)" : ""}`;
  lines.push(`clients    ${c.clients}, ${rooms}; ${c.rate > 0 ? `${c.rate} msgs/s of ${c.payload} B ("${c.messageEvent}")` : "no traffic"} for ${c.durationS} s`);
  const k = r.connect;
  lines.push(`connect    ${k.ready}/${c.clients} ready in ${fmt(k.seconds, 1)} s (${fmtRate(k.perSecond)} conns/s), ${k.failed} failed, ${r.dropped} dropped later`);
  const t = r.traffic;
  if (t.sent > 0) {
    lines.push(`traffic    sent ${t.sent} (${fmt(t.sendRate, 1)} msgs/s); received ${t.received} of ${t.expected} expected (${fmt(t.deliveredPct, 2)}%), ${fmtRate(t.receiveRate)} msgs/s`);
    if (t.echoes + t.foreign > 0) lines.push(`           ${t.echoes} echoes to the sender, ${t.foreign} from another load test`);
  }
  lines.push(`close      ${r.close.clean} closed cleanly in ${fmt(r.close.seconds, 1)} s${r.close.cut > 0 ? `, ${r.close.cut} cut (no answer to the close)` : ""}`);
  lines.push(`bytes      sent ${bytes(r.bytes.sent)}, received ${bytes(r.bytes.received)} (${t.otherEvents} other events)`);
  lines.push(`load gen   ${fmt(r.loadgen.cpuPct, 0)}% of a core, event-loop delay p99 ${ms(r.loadgen.loopDelayP99Ms)} ms; machine: ${r.machine.cpus} cpus, load ${fmt(r.machine.loadavg1, 2)}`);
  lines.push("");
  lines.push(
    table([
      ["ms", "count", "p50", "p90", "p99", "p99.9", "max"],
      percentileRow("connect", k.connectMs),
      ...(c.rooms > 0 ? [percentileRow("join", k.joinMs)] : []),
      ...(t.sent > 0 ? [percentileRow("latency", r.latencyMs)] : []),
    ]),
  );
  if (r.errors.total > 0) {
    lines.push("");
    lines.push(`errors     ${r.errors.total}: ${Object.entries(r.errors.byKind).map(([kind, n]) => `${kind} ${n}`).join(", ")}`);
    for (const sample of r.errors.samples) lines.push(`           ${sample}`);
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join("\n");
}
