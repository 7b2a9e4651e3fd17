/**
 * Smoke test of the end-to-end fan-out benchmark: a tiny run of both servers (and of the bare
 * floor server) must pass every delivery check, and a server that wrongly echoes to the sender
 * must fail the run. No timing assertions: only exit codes and the delivery verdicts in the JSON.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { FanoutResult } from "../../bench/fanout/run.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs the orchestrator with `args` and resolves with its exit code, output and JSON result. */
async function runFanout(args: string[]): Promise<{ code: number | null; output: string; result: FanoutResult }> {
  const out = mkdtempSync(join(tmpdir(), "roomcast-bench-"));
  dirs.push(out);
  const child = spawn(process.execPath, ["--import", "tsx", "bench/fanout/run.ts", ...args, "--out", out], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.once("exit", done));
  const result = JSON.parse(readFileSync(join(out, "fanout-latest.json"), "utf8")) as FanoutResult;
  return { code, output, result };
}

describe("fan-out benchmark", () => {
  it("passes every delivery check for both servers in a tiny run (a and c)", async () => {
    const { code, output, result } = await runFanout(["--n", "20", "--m", "5", "--r", "1", "--scenarios", "a,c"]);
    expect(code, output).toBe(0);
    expect(result.allPassed).toBe(true);
    expect(result.runs).toHaveLength(4);
    for (const run of result.runs) {
      expect(run.ok, `${run.scenario} ${run.impl}: ${run.failure}`).toBe(true);
      expect(run.verdict?.errorCount).toBe(0);
      // a: 20 members plus outsiders; c: 19 recipients (the sender is excluded).
      expect(run.verdict?.recipients).toBe(run.scenario === "a" ? 20 : 19);
      expect(run.verdict?.delivered).toBe((run.verdict?.recipients ?? -1) * (result.config.warmup + 5));
    }
    expect(new Set(result.runs.map((r) => r.impl))).toEqual(new Set(["roomcast", "socketio"]));
    // Four server processes and a load generator: on a loaded 2-core machine this takes a while.
  }, 60_000);

  it("passes every delivery check for the bare floor server and reports bare / socket.io (a, b, c, e)", async () => {
    const { code, output, result } = await runFanout(["--n", "20", "--m", "5", "--r", "1", "--scenarios", "a,b,c,e", "--impls", "socketio,bare"]);
    expect(code, output).toBe(0);
    expect(result.allPassed).toBe(true);
    expect(result.runs).toHaveLength(8);
    for (const run of result.runs) {
      expect(run.ok, `${run.scenario} ${run.impl}: ${run.failure}`).toBe(true);
      expect(run.verdict?.errorCount).toBe(0);
      expect(run.verdict?.delivered).toBe((run.verdict?.recipients ?? -1) * (result.config.warmup + 5));
    }
    // c excludes the sender; e has 20 recipients outside the excluded room.
    expect(result.runs.filter((r) => r.impl === "bare").map((r) => r.verdict?.recipients)).toEqual([20, 20, 19, 20]);
    for (const s of result.summary) expect(s.floorRatio, s.scenario).toBeGreaterThan(0);
    expect(output).toContain("floor: bare / socket.io");
  }, 60_000);

  it("passes every delivery check with connection state recovery on (--recovery) and reports its ratios", async () => {
    const { code, output, result } = await runFanout(["--n", "20", "--m", "5", "--r", "1", "--recovery"]);
    expect(code, output).toBe(0);
    expect(result.allPassed).toBe(true);
    expect(result.runs.map((r) => r.impl).sort()).toEqual(["roomcast", "roomcast-recovery", "socketio-recovery"]);
    for (const run of result.runs) {
      expect(run.scenario).toBe("a");
      expect(run.verdict?.delivered, run.impl).toBe(20 * (result.config.warmup + 5));
    }
    expect(result.summary[0]?.recoveryOverhead).toBeGreaterThan(0);
    expect(result.summary[0]?.recoveryRatio).toBeGreaterThan(0);
    expect(output).toContain("recovery on / off (roomcast)");
  }, 60_000);

  it.each(["roomcast", "bare"])("fails the run when the sender receives its own socket.to(room) broadcast (%s)", async (impl) => {
    const { code, result } = await runFanout(["--n", "20", "--m", "5", "--r", "1", "--scenarios", "c", "--impls", impl, "--fault", "sender-echo"]);
    expect(code).toBe(1);
    expect(result.allPassed).toBe(false);
    const run = result.runs[0];
    expect(run?.ok).toBe(false);
    expect(run?.verdict?.errors.join("\n")).toMatch(/client 0 is not a recipient but got seq/);
  }, 30_000);
});
