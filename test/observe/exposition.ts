/**
 * A small parser of the Prometheus text exposition format (version 0.0.4), strict enough that a
 * malformed line fails the test: `# HELP` / `# TYPE` comments, then samples
 * `name{label="value",…} number`, label values with `\\`, `\"` and `\n` escapes.
 */
import { expect } from "vitest";
import { request } from "../polling/helpers.ts";

/** One sample line. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its TYPE, HELP and samples. */
export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(text: string, line: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  const value = Number(text);
  if (text === "" || Number.isNaN(value)) throw new Error(`bad sample value in: ${line}`);
  return value;
}

/** Parses `{a="x",b="y"}` starting at `text[0] === "{"`; returns the labels and the rest. */
function parseLabels(text: string, line: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    if (text[i] === "}") return { labels, rest: text.slice(i + 1) };
    const name = LABEL_NAME.exec(text.slice(i))?.[0];
    if (name === undefined || text[i + name.length] !== "=" || text[i + name.length + 1] !== '"') throw new Error(`bad label in: ${line}`);
    i += name.length + 2;
    let value = "";
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new Error(`unterminated label value in: ${line}`);
      if (c === '"') break;
      if (c === "\\") {
        const next = text[i + 1];
        if (next === "n") value += "\n";
        else if (next === "\\" || next === '"') value += next;
        else throw new Error(`bad escape in: ${line}`);
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    if (name in labels) throw new Error(`duplicate label ${name} in: ${line}`);
    labels[name] = value;
    i++;
    if (text[i] === ",") i++;
    else if (text[i] !== "}") throw new Error(`expected , or } in: ${line}`);
  }
}

/**
 * Parses an exposition into its families, by name. Every sample must belong to a family
 * announced by a `# TYPE` line before it, and a family may be announced once.
 */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (line.startsWith("#")) {
      const match = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
      if (match === null) continue; // other comments are allowed
      const [, kind, name, rest] = match as unknown as [string, string, string, string];
      let family = families.get(name);
      if (family === undefined) {
        family = { name, type: "untyped", help: "", samples: [] };
        families.set(name, family);
      } else if (family.samples.length > 0) {
        throw new Error(`# ${kind} after samples of ${name}`);
      }
      if (kind === "TYPE") {
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(rest)) throw new Error(`bad type in: ${line}`);
        family.type = rest;
      } else {
        family.help = rest;
      }
      continue;
    }
    const name = NAME.exec(line)?.[0];
    if (name === undefined) throw new Error(`bad sample line: ${line}`);
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith("{")) ({ labels, rest } = parseLabels(rest, line));
    const fields = rest.trim().split(/\s+/);
    if (fields.length < 1 || fields.length > 2 || !rest.startsWith(" ")) throw new Error(`bad sample line: ${line}`);
    const family = families.get(name);
    if (family === undefined) throw new Error(`sample of an unannounced family: ${line}`);
    family.samples.push({ name, labels, value: parseValue(fields[0] ?? "", line) });
  }
  return families;
}

/** The family `name` (throws when absent). */
export function family(families: Map<string, Family>, name: string, type?: string): Family {
  const found = families.get(name);
  if (found === undefined) throw new Error(`no metric ${name}`);
  if (type !== undefined && found.type !== type) throw new Error(`${name} is a ${found.type}, not a ${type}`);
  return found;
}

/** The value of an unlabelled metric. */
export function single(families: Map<string, Family>, name: string): number {
  const { samples } = family(families, name);
  if (samples.length !== 1 || Object.keys(samples[0]?.labels ?? {}).length !== 0) {
    throw new Error(`${name} is not a single unlabelled sample: ${JSON.stringify(samples)}`);
  }
  return samples[0]?.value ?? NaN;
}

/** A metric with one label, as label value → value (every sample must carry exactly that label). */
export function byLabel(families: Map<string, Family>, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const sample of family(families, name).samples) {
    const keys = Object.keys(sample.labels);
    const value = sample.labels[label];
    if (keys.length !== 1 || value === undefined) throw new Error(`${name} sample without exactly the label ${label}: ${JSON.stringify(sample)}`);
    if (value in out) throw new Error(`${name} has two samples for ${label}=${value}`);
    out[value] = sample.value;
  }
  return out;
}

/** GETs the exposition on `path` of the server on `port`, checks the answer, and parses it. */
export async function scrape(port: number, path = "/metrics"): Promise<Map<string, Family>> {
  const res = await request(port, path);
  expect(res.status).toBe(200);
  expect(res.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parseExposition(res.body);
}
