/**
 * Runs `bench/loadtest/main.ts` as a child process, the way `npm run loadtest` does, and
 * collects its exit code, output and (with --json) its report.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { LoadTestReport } from "../../bench/loadtest/report.ts";

export const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");

/** What a finished run left behind. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The JSON report, when stdout holds one. */
  report: LoadTestReport | undefined;
}

/** A started run: the child, and its end. */
export interface CliHandle {
  child: ChildProcess;
  /** Resolves with the first stderr line matching `pattern`. */
  stderrLine(pattern: RegExp): Promise<string>;
  done: Promise<CliRun>;
}

/**
 * Starts the load test with `args`; `shell` wraps it as `sh -c '<shell> exec node …'` (e.g.
 * to lower a ulimit first).
 */
export function startCli(args: string[], shell?: string): CliHandle {
  const node = [process.execPath, "--import", "tsx", "bench/loadtest/main.ts", ...args];
  const child =
    shell === undefined
      ? spawn(node[0]!, node.slice(1), { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] })
      : spawn("/bin/sh", ["-c", `${shell} exec "$@"`, "sh", ...node], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const w of [...waiters]) {
      const line = stderr.split("\n").find((l) => w.pattern.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const done = new Promise<CliRun>((resolveRun) => {
    child.once("close", (code, signal) => {
      let report: LoadTestReport | undefined;
      try {
        report = JSON.parse(stdout) as LoadTestReport;
      } catch {
        report = undefined;
      }
      resolveRun({ code, signal, stdout, stderr, report });
    });
  });
  return {
    child,
    done,
    stderrLine: (pattern) => new Promise((resolveLine) => waiters.push({ pattern, resolve: resolveLine })),
  };
}

/** Runs the load test with `args` to its end. */
export function runCli(args: string[], shell?: string): Promise<CliRun> {
  return startCli(args, shell).done;
}
