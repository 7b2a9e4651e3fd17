/**
 * Self instruction counts per function from a callgrind dump, with V8's JIT code named.
 *
 * Callgrind knows the node binary's symbols (C++, and V8's builtins such as `Builtins_MapPrototypeGet`)
 * but not JIT code: a basic block of JIT code is reported as a "function" named by its hex
 * address. Run with node's `--perf-basic-prof`, V8 writes `/tmp/perf-<pid>.map` (start, size,
 * name of every code object it creates), which names those addresses: a deterministic
 * profile of JavaScript, where sampled CPU profiles on a busy machine are not.
 */
import { readFileSync } from "node:fs";

interface Range {
  start: bigint;
  end: bigint;
  name: string;
}

function readPerfMap(path: string): Range[] {
  const ranges: Range[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (m === null) continue;
    const start = BigInt(`0x${m[1]}`);
    ranges.push({ start, end: start + BigInt(`0x${m[2]}`), name: m[3] as string });
  }
  // Later entries win for an address reused after code was collected: keep the order, search backwards.
  return ranges;
}

function nameOf(address: bigint, ranges: Range[]): string | undefined {
  for (let i = ranges.length - 1; i >= 0; i--) {
    const r = ranges[i] as Range;
    if (address >= r.start && address < r.end) return r.name;
  }
  return undefined;
}

/**
 * Self Ir per function in callgrind file `cgPath`, JIT addresses named from `perfMapPath`.
 *
 * @returns [name, Ir] pairs, largest first.
 */
export function selfCosts(cgPath: string, perfMapPath: string | undefined): [string, number][] {
  const names = new Map<string, string>();
  const self = new Map<string, number>();
  let current = "?";
  let afterCalls = false;
  const define = (spec: string): string => {
    const m = /^\((\d+)\)(?: (.*))?$/.exec(spec);
    if (m === null) return spec;
    if (m[2] !== undefined) names.set(m[1] as string, m[2]);
    return names.get(m[1] as string) ?? spec;
  };
  for (const line of readFileSync(cgPath, "utf8").split("\n")) {
    if (line.startsWith("fn=")) {
      current = define(line.slice(3));
      continue;
    }
    if (line.startsWith("cfn=")) {
      define(line.slice(4));
      continue;
    }
    if (line.startsWith("calls=")) {
      afterCalls = true;
      continue;
    }
    const c = /^[+\-*]?\d*\s+(\d+)$/.exec(line) ?? /^(?:0x[0-9a-f]+|[+\-*]\d*|\d+)\s+(\d+)$/.exec(line);
    if (c === null) continue;
    if (afterCalls) {
      // The line after `calls=` is the inclusive cost of that call, not this function's own.
      afterCalls = false;
      continue;
    }
    self.set(current, (self.get(current) ?? 0) + Number(c[1]));
  }
  const ranges = perfMapPath === undefined ? [] : readPerfMap(perfMapPath);
  const named = new Map<string, number>();
  for (const [fn, ir] of self) {
    let name = fn;
    const addr = /^0x([0-9a-f]+)$/.exec(fn);
    if (addr !== null) name = nameOf(BigInt(`0x${addr[1]}`), ranges) ?? "(unnamed JIT code)";
    named.set(name, (named.get(name) ?? 0) + ir);
  }
  return [...named].sort((a, b) => b[1] - a[1]);
}
