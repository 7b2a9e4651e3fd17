/**
 * Where benchmark results go and what they record about the machine.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (benchmark child processes run with it as cwd, so `--import tsx` resolves). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** bench/results/ in the repository. */
export const RESULTS_DIR = resolve(REPO_ROOT, "bench", "results");

/** The machine a result was produced on. */
export interface MachineInfo {
  node: string;
  platform: string;
  cpu: string;
  cores: number;
  memoryMB: number;
  /** The 1-minute load average when the benchmark started: other work on the machine skews results. */
  loadAvg1m: number;
}

/** Describes this machine. */
export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpu: list[0]?.model.trim() ?? "unknown",
    cores: list.length,
    memoryMB: Math.round(totalmem() / 2 ** 20),
    loadAvg1m: Number((loadavg()[0] ?? 0).toFixed(2)),
  };
}

/** A file-name-safe UTC timestamp, e.g. 2025-06-01T12-30-05. */
export function timestamp(date = new Date()): string {
  return date.toISOString().slice(0, 19).replace(/:/g, "-");
}

/**
 * Writes `content` as `<name>-<timestamp>.<ext>` and `<name>-latest.<ext>` in `dir`.
 *
 * @returns the two paths written.
 */
export function writeResult(dir: string, name: string, ext: string, content: string, stamp = timestamp()): string[] {
  const paths = [join(dir, `${name}-${stamp}.${ext}`), join(dir, `${name}-latest.${ext}`)];
  mkdirSync(dir, { recursive: true });
  for (const path of paths) writeFileSync(path, content);
  return paths;
}
