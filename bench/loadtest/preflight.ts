/**
 * Checks made before the first connection: the machine can hold the clients asked for (file
 * descriptors, local ports), and whether the target is this machine (a warning otherwise).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import type { LoadTestOptions } from "./options.ts";
import { UsageError } from "./options.ts";

/** Descriptors kept free for stdio, DNS, timers and the like. */
const SPARE_FDS = 64;

/**
 * This process's open-file limit as the shell reports it, or undefined when it cannot be read
 * (no /bin/sh, e.g. on Windows). Node raises its soft limit to the hard one at start-up, and a
 * child shell inherits the raised value, so this is what the load test can actually open.
 */
export function openFileLimit(): number | undefined {
  try {
    const out = execFileSync("/bin/sh", ["-c", "ulimit -n"], { encoding: "utf8", timeout: 5_000 }).trim();
    if (out === "unlimited") return Number.POSITIVE_INFINITY;
    const n = Number(out);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The size of Linux's ephemeral port range, or undefined elsewhere. */
export function localPortRange(): { low: number; high: number } | undefined {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (low === undefined || high === undefined || !Number.isInteger(low) || !Number.isInteger(high) || high < low) return undefined;
    return { low, high };
  } catch {
    return undefined;
  }
}

/** Whether `hostname` is this machine: localhost, a loopback address, or one of its interfaces'. */
export function isLocalHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost") || host === "::1" || /^127\./.test(host) || host === "0.0.0.0" || host === "::") return true;
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.address.toLowerCase() === host) return true;
  }
  return false;
}

/**
 * Refuses (UsageError) a run the machine cannot hold, and returns warnings for the report.
 *
 * @param fdLimit - the open-file limit (see {@link openFileLimit}); undefined skips the check.
 */
export function preflight(opts: LoadTestOptions, fdLimit: number | undefined): string[] {
  const warnings: string[] = [];
  // A long-polling client may hold a waiting GET and a POST at once.
  const perClient = opts.transport === "polling" ? 2 : 1;
  const needed = opts.clients * perClient + SPARE_FDS;
  if (fdLimit === undefined) warnings.push("could not read the open-file limit (ulimit -n); not checked");
  else if (needed > fdLimit) {
    throw new UsageError(
      `${opts.clients} ${opts.transport} clients need about ${needed} file descriptors, but ulimit -n is ${fdLimit}. ` +
        `Raise it (e.g. \`ulimit -n ${Math.max(needed, 65_536)}\`, up to the hard limit \`ulimit -Hn\`) or use at most ` +
        `${Math.max(0, Math.floor((fdLimit - SPARE_FDS) / perClient))} clients.`,
    );
  }
  const range = localPortRange();
  const ports = range === undefined ? undefined : range.high - range.low + 1;
  if (ports !== undefined && opts.clients * perClient > ports) {
    throw new UsageError(
      `${opts.clients} ${opts.transport} clients need ${opts.clients * perClient} local ports to one server address, but ` +
        `net.ipv4.ip_local_port_range allows ${ports}. Widen it, or split the clients over several machines.`,
    );
  }
  if (!isLocalHost(opts.engineUrl.hostname)) {
    warnings.push(`${opts.engineUrl.hostname} is not this machine: load-test only servers you run or are allowed to test; the network is part of what you measure`);
  }
  return warnings;
}
