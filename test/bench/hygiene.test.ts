/**
 * Benchmark hygiene: a quick `npm run bench` writes its results where it always does
 * (bench/results/) and leaves every tracked file as it was, and its output judges nothing
 * (quick sizes are too small) and speaks to users.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const RESULTS = join(ROOT, "bench", "results");

function git(...args: string[]): string {
  return execFileSync("git", args, { cwd: ROOT, encoding: "utf8" });
}

/** The results directory's files with their contents, to put back what a run overwrites. */
function snapshotResults(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(RESULTS)) {
    const path = join(RESULTS, name);
    if (name !== "reference") files.set(name, readFileSync(path));
  }
  return files;
}

let restore: (() => void) | undefined;

afterEach(() => {
  restore?.();
  restore = undefined;
});

describe("benchmark hygiene", () => {
  it("a quick bench run leaves tracked files unchanged and prints no goal verdicts", async () => {
    const trackedBefore = git("status", "--porcelain", "--untracked-files=no");
    const resultsBefore = git("status", "--porcelain", "--untracked-files=all", "--", "bench/results");
    const before = snapshotResults();
    // Whatever happens, leave bench/results/ as it was: a developer's own results included.
    restore = () => {
      for (const name of readdirSync(RESULTS)) if (name !== "reference" && !before.has(name)) rmSync(join(RESULTS, name), { force: true });
      for (const [name, content] of before) writeFileSync(join(RESULTS, name), content);
    };
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "bench/bench.ts", "--quick", "--only", "fanout", "--", "--n", "20", "--m", "5", "--scenarios", "a"],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.once("exit", done));
    expect(code, output).toBe(0);
    // The run did write its results into the repository…
    for (const name of ["fanout-latest.json", "fanout-latest.svg", "bench-latest.json", "bench-latest.svg"]) {
      expect(existsSync(join(RESULTS, name)), name).toBe(true);
    }
    // …and no tracked file changed.
    expect(git("status", "--porcelain", "--untracked-files=no")).toBe(trackedBefore);
    // Nor does anything it wrote show up as a new file.
    expect(git("status", "--porcelain", "--untracked-files=all", "--", "bench/results")).toBe(resultsBefore);
    // The floor ran (bench.ts adds it) and is explained; quick mode judges nothing.
    expect(output).toContain("roomcast / floor");
    expect(output).toContain("floor = the bare implementation");
    expect(output).not.toMatch(/\b(misses|meets|target)\b/);
    expect(output).not.toMatch(/issue \d/i);
  }, 60_000);
});
