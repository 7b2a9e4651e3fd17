/**
 * One load-test run, in phases: a probe client (fails fast on a wrong URL), the connect ramp,
 * traffic (or holding the connections), a bounded drain, then every connection closed. Every
 * phase has a time bound, the whole run a deadline, and an abort signal (Ctrl-C) ends it early
 * with the counts so far.
 */
import http from "node:http";
import https from "node:https";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { randomBytes } from "node:crypto";
import { CLOSE_GRACE_MS, MAX_IN_FLIGHT, runDeadlineMs } from "./bounds.ts";
import { LoadClient, type ClientConfig } from "./client.ts";
import type { LoadTestOptions } from "./options.ts";
import { buildReport, type LoadTestReport, type Outcome, type RunFigures } from "./report.ts";
import { Tally } from "./tally.ts";
import { epochNow, stampedText } from "./wire.ts";

/** At most this much backlog is sent in one tick when the sender fell behind (a stalled loop). */
const MAX_CATCH_UP_S = 0.1;

/** What the caller gives a run besides its options. */
export interface RunHooks {
  /** Aborts the run (Ctrl-C); the report then says "interrupted". */
  signal: AbortSignal;
  /** A progress line for stderr. */
  progress(line: string): void;
  /** Warnings found before the run, carried into the report. */
  warnings: string[];
}

/** Resolves when `signal` aborts (never rejects). */
function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

/** Resolves after `ms`, or earlier on abort. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** The room of client `i`: round robin over the rooms, none when there are none. */
function roomOf(opts: LoadTestOptions, i: number): string | undefined {
  return opts.rooms === 0 ? undefined : `${opts.roomPrefix}${i % opts.rooms}`;
}

/** Runs the load test described by `opts`; never throws for anything the server does. */
export async function runLoadTest(opts: LoadTestOptions, hooks: RunHooks): Promise<LoadTestReport> {
  const tally = new Tally(randomBytes(4).toString("hex"));
  // The ramp's bound is not clients / ramp: a server slower than the ramp sets the pace (at
  // most MAX_IN_FLIGHT in handshake). A deadline that assumed the ramp rate cut such runs short:
  // 5000 clients against the chat demo on a busy machine, ~100 connections/s, ended at 53 s.
  const deadlineMs = runDeadlineMs(opts);
  const stop = new AbortController();
  let outcome: Outcome = "completed";
  const onAbort = (): void => {
    if (outcome === "completed") outcome = "interrupted";
    stop.abort();
  };
  hooks.signal.addEventListener("abort", onAbort, { once: true });
  const deadline = setTimeout(() => {
    outcome = "deadline";
    stop.abort();
  }, deadlineMs);

  const secure = opts.engineUrl.protocol === "https:";
  const agent = secure ? new https.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: Infinity }) : new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: Infinity });
  const config: ClientConfig = {
    target: { engineUrl: opts.engineUrl, counters: { bytesIn: 0, bytesOut: 0 }, agent },
    transport: opts.transport,
    nsp: opts.nsp,
    auth: opts.auth,
    joinEvent: opts.rooms > 0 ? opts.joinEvent : undefined,
    joinAck: opts.joinAck,
    setupTimeoutMs: opts.connectTimeoutS * 1_000,
  };
  const clients: LoadClient[] = [];
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const cpuAtStart = process.cpuUsage();
  const startedAt = new Date();
  const t0 = performance.now();
  const sampler = setInterval(() => tally.sample(Math.round((performance.now() - t0) / 1000)), 1_000);
  const figures: RunFigures = {
    rampMs: 0,
    trafficMs: 0,
    receiveWindowMs: 0,
    probeError: undefined,
    attempted: 0,
    bytesIn: 0,
    bytesOut: 0,
    closeMs: 0,
    closedClean: 0,
    closedCut: 0,
  };

  try {
    await phases();
    // Last phase: every connection closed, politely, bounded by CLOSE_GRACE_MS.
    const closeStart = performance.now();
    const closes = await Promise.all(clients.map((c) => c.close(CLOSE_GRACE_MS)));
    figures.closeMs = performance.now() - closeStart;
    figures.closedClean = closes.filter((c) => c === "clean").length;
    figures.closedCut = closes.filter((c) => c === "cut").length;
    return finish();
  } finally {
    clearTimeout(deadline);
    clearInterval(sampler);
    hooks.signal.removeEventListener("abort", onAbort);
    tally.onSettled = undefined;
    tally.onDelivery = undefined;
    // Already closed on the normal path; this covers a throw.
    await Promise.all(clients.map((c) => c.close(0)));
    agent.destroy();
    loopDelay.disable();
  }

  async function phases(): Promise<void> {
    // Phase 1: the probe. One client alone, so a wrong URL fails in one clear line.
    const rampStart = performance.now();
    const probe = new LoadClient(0, roomOf(opts, 0), config, tally);
    clients.push(probe);
    await settle(tally, 1, () => probe.start(), stop.signal);
    if (stop.signal.aborted) return;
    if (tally.ready === 0) {
      outcome = "unreachable";
      figures.probeError = tally.errorSamples[0] ?? "no answer";
      return;
    }

    // Phase 2: the ramp, at opts.ramp new connections per second, at most MAX_IN_FLIGHT in handshake.
    hooks.progress(`connecting ${opts.clients} ${opts.transport} clients to ${opts.url} at up to ${opts.ramp}/s`);
    await ramp(opts, config, tally, clients, stop.signal, hooks);
    figures.rampMs = performance.now() - rampStart;
    hooks.progress(`${tally.ready} of ${opts.clients} clients ready, ${tally.failed} failed, in ${(figures.rampMs / 1000).toFixed(1)} s`);
    if (stop.signal.aborted) return;

    // Phase 3: traffic, or holding the connections for the duration.
    const trafficStart = performance.now();
    await traffic(opts, tally, clients, stop.signal, hooks);
    figures.trafficMs = performance.now() - trafficStart;
    // Phase 4: the drain. Deliveries still in flight may arrive, for a bounded time.
    if (tally.sent > 0 && !stop.signal.aborted) await drain(tally, opts.drainS * 1_000, stop.signal);
    figures.receiveWindowMs = Math.max(figures.trafficMs, tally.lastReceiveAt - trafficStart);
  }

  function finish(): LoadTestReport {
    const cpu = process.cpuUsage(cpuAtStart);
    figures.attempted = clients.length;
    figures.bytesIn = config.target.counters.bytesIn;
    figures.bytesOut = config.target.counters.bytesOut;
    const wallMs = performance.now() - t0;
    return buildReport({
      opts,
      tally,
      outcome,
      figures,
      startedAt,
      warnings: hooks.warnings,
      loadgen: {
        cpuPct: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
        loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        loopDelayMaxMs: loopDelay.max / 1e6,
      },
    });
  }
}

/** Runs `start`, then resolves once `count` clients have settled (or on abort). */
function settle(tally: Tally, count: number, start: () => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (tally.settled >= count || signal.aborted) {
        tally.onSettled = undefined;
        signal.removeEventListener("abort", check);
        resolve();
      }
    };
    tally.onSettled = check;
    signal.addEventListener("abort", check, { once: true });
    start();
    check();
  });
}

/** Opens clients 1…N-1 at the ramp rate; resolves once all have settled (ready or failed). */
async function ramp(opts: LoadTestOptions, config: ClientConfig, tally: Tally, clients: LoadClient[], signal: AbortSignal, hooks: RunHooks): Promise<void> {
  const start = performance.now();
  let lastProgress = start;
  let timer: NodeJS.Timeout | undefined;
  const launch = (): void => {
    const now = performance.now();
    const due = Math.min(opts.clients, 1 + Math.floor((opts.ramp * (now - start)) / 1000));
    while (clients.length < due && clients.length - tally.settled < MAX_IN_FLIGHT) {
      const client = new LoadClient(clients.length, roomOf(opts, clients.length), config, tally);
      clients.push(client);
      client.start();
    }
    if (now - lastProgress >= 5_000) {
      lastProgress = now;
      hooks.progress(`  ${tally.ready} ready, ${tally.failed} failed, ${clients.length - tally.settled} connecting`);
    }
    if (clients.length < opts.clients && !signal.aborted) timer = setTimeout(launch, 10);
  };
  await settle(tally, opts.clients, launch, signal);
  clearTimeout(timer);
}

/** Sends messages at opts.rate for opts.durationS (or just waits when there is nothing to send). */
async function traffic(opts: LoadTestOptions, tally: Tally, clients: LoadClient[], signal: AbortSignal, hooks: RunHooks): Promise<void> {
  const durationMs = opts.durationS * 1_000;
  // Senders: ready clients with at least one other ready member in their room.
  const senders = clients.filter((c) => c.stage === "ready" && c.room !== undefined && (tally.readyInRoom.get(c.room) ?? 0) >= 2);
  if (opts.rate === 0 || senders.length === 0) {
    if (opts.rate > 0) hooks.progress("no room has two ready members: nothing to send; holding the connections");
    hooks.progress(`holding ${tally.ready} connections for ${opts.durationS} s`);
    await pause(durationMs, signal);
    return;
  }
  hooks.progress(`sending ${opts.rate} msgs/s of ${opts.payload} bytes ("${opts.messageEvent}") for ${opts.durationS} s from ${senders.length} clients`);
  const tickMs = Math.min(20, Math.max(2, 1000 / opts.rate));
  const maxBurst = Math.max(1, Math.ceil(opts.rate * MAX_CATCH_UP_S));
  const start = performance.now();
  let lastProgress = start;
  let next = 0;
  let target = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(tick, tickMs);
    signal.addEventListener("abort", end, { once: true });
    function end(): void {
      clearInterval(timer);
      signal.removeEventListener("abort", end);
      resolve();
    }
    function tick(): void {
      const now = performance.now();
      const elapsed = Math.min(now - start, durationMs);
      target = Math.floor((opts.rate * elapsed) / 1000);
      for (let burst = 0; tally.sent < target && burst < maxBurst; burst++) {
        // Round robin over the senders, skipping any that dropped since.
        let sender: LoadClient | undefined;
        for (let tries = 0; tries < senders.length && sender === undefined; tries++) {
          const candidate = senders[next++ % senders.length]!;
          if (candidate.stage === "ready") sender = candidate;
        }
        if (sender === undefined) return end();
        tally.countSend(sender);
        sender.emit(opts.messageEvent, stampedText(tally.run, sender.index, epochNow(), opts.payload));
      }
      if (now - lastProgress >= 5_000) {
        lastProgress = now;
        const p = tally.latencyMs.percentiles();
        hooks.progress(`  ${Math.round(elapsed / 1000)} s: sent ${tally.sent}, received ${tally.received}, p99 ${p.p99.toFixed(2)} ms, ${tally.ready} ready`);
      }
      if (now - start >= durationMs) end();
    }
  });
}

/** Waits until every expected delivery has arrived, at most `maxMs`. */
async function drain(tally: Tally, maxMs: number, signal: AbortSignal): Promise<void> {
  if (tally.received >= tally.expected) return;
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), maxMs);
  await Promise.race([
    new Promise<void>((resolve) => (tally.onDelivery = () => tally.received >= tally.expected && resolve())),
    whenAborted(signal),
    whenAborted(timeout.signal),
  ]);
  clearTimeout(timer);
  tally.onDelivery = undefined;
}
