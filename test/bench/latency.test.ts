/**
 * Smoke test of the fan-out benchmark's latency mode (`run.ts --latency`): a tiny run at two
 * absolute rates must check every delivery and measure the latency of every one of them, and
 * write its JSON and chart; a server that leaves out one broadcast must fail the run. No timing
 * assertions: only exit codes, counts and the shape of the result.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { LatencyResult } from "../../bench/fanout/latency.ts";
import { Server } from "../../src/index.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs the latency mode with `args`; resolves with its exit code, output and results directory. */
async function runLatency(args: string[]): Promise<{ code: number | null; output: string; out: string }> {
  const out = mkdtempSync(join(tmpdir(), "roomcast-latency-"));
  dirs.push(out);
  const child = spawn(process.execPath, ["--import", "tsx", "bench/fanout/run.ts", "--latency", ...args, "--out", out], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.once("exit", done));
  return { code, output, out };
}

function readResult(out: string): LatencyResult {
  return JSON.parse(readFileSync(join(out, "latency-latest.json"), "utf8")) as LatencyResult;
}

/** Whether this roomcast accepts the server option `writeDelay`. */
function acceptsWriteDelay(): boolean {
  try {
    const io = new Server({ writeDelay: 1 } as unknown as ConstructorParameters<typeof Server>[0]);
    void io.close();
    return true;
  } catch {
    return false;
  }
}

// 20 recipients; 5 warm-up broadcasts; 40/s and 80/s for 0.25 s: 10 and 20 broadcasts.
const TINY = ["--n", "20", "--warmup", "5", "--duration", "0.25", "--r", "1"];
const RATES = ["--rates", "40,80"];

describe("fan-out latency mode", () => {
  it("checks and measures every delivery at each offered rate, for roomcast and socket.io", async () => {
    const { code, output, out } = await runLatency([...TINY, ...RATES, "--impls", "roomcast,socketio"]);
    expect(code, output).toBe(0);
    const result = readResult(out);
    expect(result.kind).toBe("latency");
    expect(result.allPassed).toBe(true);
    expect(result.saturation).toBeNull();
    expect(result.levels.map((l) => l.ratePerSec)).toEqual([40, 80]);
    expect(result.records).toHaveLength(4);
    for (const rec of result.records) {
      expect(rec.ok, `${rec.impl} at ${rec.offeredPerSec}/s: ${rec.failure}`).toBe(true);
      expect(rec.recipients).toBe(20);
      expect(rec.broadcasts).toBe(rec.offeredPerSec / 4);
      // Every delivery of the phase was measured, not a sample.
      expect(rec.measured).toBe(20 * rec.broadcasts);
      expect(rec.pace?.offeredPerSec).toBe(rec.offeredPerSec);
      expect(rec.p50Ms).toBeLessThanOrEqual(rec.p99Ms);
      expect(rec.p99Ms).toBeLessThanOrEqual(rec.p999Ms);
      expect(rec.p999Ms).toBeLessThanOrEqual(rec.maxMs);
      expect(rec.cpuPerDeliveryUs).toBeGreaterThan(0);
    }
    expect(result.sessions.map((s) => s.impl).sort()).toEqual(["roomcast", "socketio"]);
    for (const s of result.sessions) {
      expect(s.verdict?.errorCount, s.impl).toBe(0);
      // The delivery check covers the warm-up and both phases: 5 + 10 + 20 broadcasts each.
      expect(s.verdict?.delivered, s.impl).toBe(20 * 35);
    }
    expect(result.rows.map((r) => `${r.impl}@${r.offeredPerSec}`)).toEqual(["roomcast@40", "socketio@40", "roomcast@80", "socketio@80"]);
    expect(output).toContain("p99.9 ms");
    const svg = readFileSync(join(out, "latency-latest.svg"), "utf8");
    expect(svg.match(/<polyline /g)).toHaveLength(4);
  }, 60_000);

  it("fails the run when the server leaves out one broadcast of a paced phase", async () => {
    const { code, out } = await runLatency([...TINY, ...RATES, "--impls", "roomcast", "--fault", "paced-skip"]);
    expect(code).toBe(1);
    const result = readResult(out);
    expect(result.allPassed).toBe(false);
    expect(result.records.every((r) => !r.ok)).toBe(true);
    expect(result.sessions[0]?.verdict?.errors.join("\n")).toMatch(/expected seq \d+, got \d+/);
  }, 60_000);

  it("runs roomcast-wd1 if this roomcast has writeDelay, and otherwise refuses to start with a clear message", async () => {
    const { code, output, out } = await runLatency([...TINY, "--rates", "40", "--impls", "roomcast-wd1"]);
    if (acceptsWriteDelay()) {
      expect(code, output).toBe(0);
      expect(readResult(out).records[0]?.measured).toBe(20 * 10);
    } else {
      expect(code).toBe(2);
      expect(output).toMatch(/roomcast-wd1: this roomcast refuses the server option writeDelay: 1/);
      expect(existsSync(join(out, "latency-latest.json"))).toBe(false);
    }
  }, 60_000);
});
