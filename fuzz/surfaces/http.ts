/**
 * Surface `http`: requests to the engine path — query strings (repeated parameters, EIO missing
 * or 3 or 5 or garbage, bad sids, huge values), headers (CORS, encodings, lengths, huge ones),
 * methods (GET, POST, PUT, OPTIONS, garbage), paths under the engine path — and raw malformed
 * HTTP over a TCP socket, trickled, half-closed or reset.
 */
import fc from "fast-check";
import { headerText } from "../arbitraries/eio.ts";
import { mutate } from "../arbitraries/sio.ts";
import { describeValue } from "../describe.ts";
import { headOf, httpRequest, openedSid, rawExchange, type RawOutcome } from "../wire/http.ts";
import { PollingSession } from "../wire/polling-session.ts";
import type { PlayContext, Surface, Verdict } from "./types.ts";

/** Stands for the sid of the case's live polling session. */
const LIVE_SID = "$live";

export interface HttpRequestSpec {
  kind: "request";
  method: string;
  pathSuffix: string;
  query: Array<[string, string]>;
  headers: Array<[string, string]>;
  body: string | null;
  after: "wait" | "end" | "reset";
}

export interface RawSpec {
  kind: "raw";
  bytes: Uint8Array;
  /** Bytes per write when trickled (0: one write). */
  trickle: number;
  after: "end" | "reset";
}

export interface HttpCase {
  /** Open a polling session first, whose sid `$live` stands for. */
  liveSession: boolean;
  requests: Array<HttpRequestSpec | RawSpec>;
}

const METHODS = ["GET", "POST", "PUT", "OPTIONS", "HEAD", "DELETE", "PATCH", "TRACE", "CONNECT", "get", "G3T", "FOO", "PRI"] as const;

const PATH_SUFFIXES = ["", "socket.io.js", "socket.io.min.js", "socket.io.js.map", "socket.io.esm.min.js", "socket.io.msgpack.min.js", "x", "../", "%2e%2e/", "//", "a/b/c", "%00", ";x"] as const;

/** Values kept as written in the query (broken percent escapes and the like). */
const RAW_VALUES = new Set(["%", "%zz", "%00", "%E0%A4%A", "a+b", "%F0%9F%98"]);

const queryValue = (key: string): fc.Arbitrary<string> => {
  // A Map, not an object: keys such as "__proto__" and "constructor" are generated too.
  const special = new Map<string, readonly string[]>([
    ["EIO", ["4", "3", "5", "", "abc", "4.0", " 4", "-4", "40000000000", "04"]],
    ["transport", ["polling", "websocket", "webtransport", "", "xhr", "POLLING"]],
    ["sid", [LIVE_SID, "bogus", "", LIVE_SID + "x"]],
    ["b64", ["1", "true", ""]],
  ]);
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...(special.get(key) ?? ["1"])) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_VALUES) },
    { weight: 1, arbitrary: headerText },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: 40_000 }).map((n) => "v".repeat(n)) },
  );
};

const queryKey = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("EIO", "transport", "sid", "t", "b64", "j") },
  { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "", "eio", "EIO[]", "transport[0]") },
);

/** A query: mostly the valid handshake with edits, sometimes anything. */
const query: fc.Arbitrary<Array<[string, string]>> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.subarray<[string, string]>([["EIO", "4"], ["transport", "polling"], ["t", "x1"]]), fc.array(queryKey.chain((k) => queryValue(k).map((v): [string, string] => [k, v])), { maxLength: 3 }))
      .map(([base, extra]) => [...base, ...extra]),
  },
  { weight: 1, arbitrary: fc.array(queryKey.chain((k) => queryValue(k).map((v): [string, string] => [k, v])), { maxLength: 5 }) },
);

const HEADER_VALUES: Readonly<Record<string, readonly string[]>> = {
  Origin: ["null", "http://evil.example", "http://127.0.0.1", "*"],
  Cookie: ["io=abc", "io=", "a=b; io=x; io=y"],
  "Accept-Encoding": ["gzip", "deflate", "br", "gzip, deflate", "identity;q=0", "*;q=0", "zstd"],
  "Content-Type": ["text/plain;charset=UTF-8", "application/octet-stream", "application/json"],
  "Content-Length": ["-1", "abc", "99999999999999", "0"],
  "Transfer-Encoding": ["chunked", "gzip", "identity"],
  Expect: ["100-continue", "nothing"],
  "Access-Control-Request-Method": ["POST", "DELETE"],
  "Access-Control-Request-Headers": ["x-custom, content-type", ""],
  Upgrade: ["websocket", "h2c"],
  "Sec-WebSocket-Key": ["dGhlIHNhbXBsZSBub25jZQ=="],
  "X-Forwarded-For": ["1.2.3.4", "::1, 10.0.0.1"],
  "User-Agent": ["fuzz"],
  Authorization: ["Bearer x"],
};

const header: fc.Arbitrary<[string, string]> = fc.constantFrom(...Object.keys(HEADER_VALUES)).chain((name) =>
  fc
    .oneof(
      { weight: 4, arbitrary: fc.constantFrom(...(HEADER_VALUES[name] ?? [""])) },
      { weight: 1, arbitrary: headerText },
      { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20_000 }).map((n) => "h".repeat(n)) },
    )
    .map((value): [string, string] => [name, value]),
);

const requestSpec: fc.Arbitrary<HttpRequestSpec> = fc.record({
  kind: fc.constant("request" as const),
  method: fc.oneof({ weight: 4, arbitrary: fc.constantFrom("GET", "POST") }, { weight: 2, arbitrary: fc.constantFrom(...METHODS) }),
  pathSuffix: fc.constantFrom(...PATH_SUFFIXES),
  query,
  headers: fc.array(header, { maxLength: 4 }),
  body: fc.option(fc.oneof(fc.constantFrom("40", "1", "6", "2probe"), headerText), { freq: 2 }),
  after: fc.oneof({ weight: 6, arbitrary: fc.constant("wait" as const) }, { weight: 1, arbitrary: fc.constantFrom("end" as const, "reset" as const) }),
});

const VALID_HEAD = "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
const MALFORMED = [
  "GET /socket.io/?EIO=4&transport=polling HTTP/9.9\r\nHost: x\r\n\r\n",
  "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n",
  "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\nHost: x\n\n",
  "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
  "POST /socket.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
  "POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
  "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n Folded: header\r\n\r\n",
  "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
  "\r\n\r\n\r\n",
  "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003",
  `GET /socket.io/?EIO=4&transport=polling&t=${"q".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
  "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nX: \u0000\r\n\r\n",
] as const;

const rawSpec: fc.Arbitrary<RawSpec> = fc.record({
  kind: fc.constant("raw" as const),
  bytes: fc.oneof(
    fc.constantFrom(...MALFORMED).map((s) => new Uint8Array(Buffer.from(s, "latin1"))),
    fc
      .record({ op: fc.constantFrom("truncate", "insert", "delete", "duplicate") as fc.Arbitrary<"truncate" | "insert" | "delete" | "duplicate">, pos: fc.nat(), ch: fc.constantFrom("\r", "\n", " ", ":", "\u0000", "%", "?", "\u00ff") })
      .map((m) => new Uint8Array(Buffer.from(mutate(VALID_HEAD, m), "latin1"))),
    fc.uint8Array({ maxLength: 200 }),
  ),
  trickle: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 16 }) }),
  after: fc.constantFrom("end" as const, "reset" as const),
});

/** The request's bytes, with `$live` replaced by the live sid. */
function requestBytes(r: HttpRequestSpec, path: string, live: string): Buffer {
  const value = (v: string): string => (RAW_VALUES.has(v) ? v : encodeURIComponent(v.replaceAll(LIVE_SID, live)));
  const qs = r.query.map(([k, v]) => `${encodeURIComponent(k)}=${value(v)}`).join("&");
  const lines = [`${r.method} ${path}${r.pathSuffix}${qs === "" ? "" : `?${qs}`} HTTP/1.1`, "Host: 127.0.0.1"];
  for (const [name, v] of r.headers) lines.push(`${name}: ${v}`);
  lines.push("Connection: close");
  const body = r.body === null ? Buffer.alloc(0) : Buffer.from(r.body);
  if (r.body !== null && !r.headers.some(([n]) => n === "Content-Length" || n === "Transfer-Encoding")) lines.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), body]);
}

function chunksOf(bytes: Uint8Array, size: number): Uint8Array[] {
  if (size <= 0) return [bytes];
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out.slice(0, 64).concat(bytes.length > size * 64 ? [bytes.subarray(size * 64)] : []);
}

/** Invariant 3 for one exchange: answered (below 500) or closed; never left hanging. */
function judge(label: string, res: RawOutcome, sessions: Set<string>): Verdict {
  const sid = openedSid(res.data);
  if (sid !== undefined) sessions.add(sid);
  const head = headOf(res.data);
  if (head && head.status >= 500) return { session: label, outcome: "bad", how: `answered ${head.status}: ${res.data.subarray(head.headEnd, head.headEnd + 120).toString("utf8")}` };
  if (res.timedOut) return { session: label, outcome: "hang", how: head ? `answered ${head.status} but never closed (Connection: close was asked)` : "neither answered nor closed" };
  return { session: label, outcome: head ? "served" : "closed", how: head ? `answered ${head.status}` : "closed without an answer" };
}

async function play(c: HttpCase, ctx: PlayContext): Promise<Verdict[]> {
  const verdicts: Verdict[] = [];
  const created = new Set<string>();
  let live = "none";
  if (c.liveSession) {
    const opened = await PollingSession.open(ctx);
    if (opened instanceof PollingSession) {
      live = opened.sid;
      created.add(live);
    } else {
      verdicts.push({ session: "handshake", outcome: "bad", how: `a valid handshake failed: ${describeValue(opened)}` });
    }
  }
  await Promise.all(
    c.requests.map(async (r, i) => {
      const label = `${r.kind}#${i}`;
      if (r.kind === "request") {
        const res = await rawExchange(ctx.port, { chunks: [requestBytes(r, ctx.path, live)], chunkDelayMs: 0, after: r.after, resetAfterMs: 5 }, ctx.waitMs);
        if (r.after !== "reset") verdicts.push(judge(label, res, created));
      } else {
        const res = await rawExchange(ctx.port, { chunks: chunksOf(r.bytes, r.trickle), chunkDelayMs: r.trickle > 0 ? 2 : 0, after: r.after, resetAfterMs: 5 }, ctx.waitMs);
        if (r.after !== "reset") verdicts.push(judge(label, res, created));
      }
    }),
  );
  // Every session a request opened is closed again, so the server's counts can return to baseline.
  await Promise.all(
    [...created].map((sid) =>
      httpRequest(ctx.port, { method: "POST", path: `${ctx.path}?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`, headers: { "Content-Type": "text/plain;charset=UTF-8" }, body: "1" }, ctx.waitMs),
    ),
  );
  return verdicts;
}

/** The `http` surface. */
export const httpSurface: Surface<HttpCase> = {
  name: "http",
  arbitrary: fc.record({
    liveSession: fc.boolean(),
    requests: fc.array(fc.oneof({ weight: 3, arbitrary: requestSpec }, { weight: 1, arbitrary: rawSpec }), { minLength: 1, maxLength: 5 }),
  }),
  play,
  describe: (c) => describeValue({ ...c, requests: c.requests.map((r) => (r.kind === "raw" ? { ...r, bytes: Buffer.from(r.bytes).toString("latin1") } : r)) }),
};
