/**
 * Surface `polling`: HTTP long-polling after a valid handshake — POST bodies of Engine.IO
 * payloads (the \x1e separator, other separators, Engine.IO v3 length prefixes that lie, `b`
 * base64 packets with garbage), raw bytes, bodies over the size limit, wrong or missing
 * content types, other sids; GETs racing each other; POSTs whose Content-Length lies, over a raw
 * socket that then resets or half-closes.
 */
import fc from "fast-check";
import { joinPayload, payloadJoin, payloadPackets, type PayloadJoin } from "../arbitraries/eio.ts";
import { describeValue } from "../describe.ts";
import { rawExchange } from "../wire/http.ts";
import { PollingSession } from "../wire/polling-session.ts";
import type { PlayContext, Surface, Verdict } from "./types.ts";

/** A POST body. */
export type PollBody =
  | { kind: "packets"; packets: string[]; join: PayloadJoin }
  | { kind: "bytes"; data: Uint8Array }
  /** Just over the server's 1 MB maxHttpBufferSize. */
  | { kind: "oversized"; extra: number };

/** Which sid a request carries. */
export type SidChoice = "own" | "bogus" | "none";

export type PollAction =
  | { kind: "post"; body: PollBody; contentType: string | null; sid: SidChoice }
  /** `count` GETs started together (more than one races). */
  | { kind: "gets"; count: number; sid: SidChoice }
  /** A POST whose Content-Length is not the body's length, over a raw socket. */
  | { kind: "lying-post"; body: string; declared: "shorter" | "longer" | "garbage" | "chunked-broken"; after: "reset" | "end" };

export interface PollingCase {
  connectMain: boolean;
  actions: PollAction[];
}

const MAX_HTTP_BUFFER = 1e6;

const CONTENT_TYPES = [
  "text/plain;charset=UTF-8",
  "application/octet-stream",
  "application/json",
  "multipart/form-data; boundary=x",
  "text/html; charset=latin1",
  "*/*",
  ";;;",
] as const;

const body: fc.Arbitrary<PollBody> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ packets: payloadPackets, join: payloadJoin }).map((p): PollBody => ({ kind: "packets", ...p })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 96 }).map((data): PollBody => ({ kind: "bytes", data })) },
  { weight: 1, arbitrary: fc.nat(100).map((extra): PollBody => ({ kind: "oversized", extra })) },
);

const sid: fc.Arbitrary<SidChoice> = fc.oneof({ weight: 6, arbitrary: fc.constant<SidChoice>("own") }, { weight: 1, arbitrary: fc.constantFrom<SidChoice>("bogus", "none") });

const action: fc.Arbitrary<PollAction> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({
        body,
        contentType: fc.oneof({ weight: 5, arbitrary: fc.constant<string | null>(CONTENT_TYPES[0]) }, { weight: 2, arbitrary: fc.constantFrom<string | null>(null, ...CONTENT_TYPES) }),
        sid,
      })
      .map((a): PollAction => ({ kind: "post", ...a })),
  },
  { weight: 2, arbitrary: fc.record({ count: fc.integer({ min: 1, max: 3 }), sid }).map((a): PollAction => ({ kind: "gets", ...a })) },
  {
    weight: 1,
    arbitrary: fc
      .record({
        body: payloadPackets.map((p) => p.join("\x1e")),
        declared: fc.constantFrom("shorter", "longer", "garbage", "chunked-broken") as fc.Arbitrary<"shorter" | "longer" | "garbage" | "chunked-broken">,
        after: fc.constantFrom("reset", "end") as fc.Arbitrary<"reset" | "end">,
      })
      .map((a): PollAction => ({ kind: "lying-post", ...a })),
  },
);

function bodyBytes(b: PollBody): string | Uint8Array {
  switch (b.kind) {
    case "packets":
      return joinPayload(b.packets, b.join);
    case "bytes":
      return b.data;
    case "oversized":
      return `4${"x".repeat(MAX_HTTP_BUFFER + b.extra)}`;
  }
}

function sidOf(choice: SidChoice, session: PollingSession): string | undefined {
  return choice === "own" ? session.sid : choice === "bogus" ? "bogus-sid-000000" : undefined;
}

/** The head and body of a POST whose framing lies. */
function lyingPost(session: PollingSession, a: Extract<PollAction, { kind: "lying-post" }>): Buffer {
  const bytes = Buffer.from(a.body);
  const lines = [`POST ${session.url()} HTTP/1.1`, "Host: 127.0.0.1", "Content-Type: text/plain;charset=UTF-8"];
  if (a.declared === "shorter") lines.push(`Content-Length: ${Math.max(0, bytes.length - 2)}`);
  else if (a.declared === "longer") lines.push(`Content-Length: ${bytes.length + 100}`);
  else if (a.declared === "garbage") lines.push("Content-Length: 12abc");
  else lines.push("Transfer-Encoding: chunked");
  const payload = a.declared === "chunked-broken" ? Buffer.concat([Buffer.from("zz\r\n"), bytes, Buffer.from("\r\n")]) : bytes;
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`), payload]);
}

async function play(c: PollingCase, ctx: PlayContext): Promise<Verdict[]> {
  const opened = await PollingSession.open(ctx);
  if (!(opened instanceof PollingSession)) {
    return [{ session: "polling", outcome: "bad", how: `a valid handshake failed: ${describeValue(opened)}` }];
  }
  const session = opened;
  const verdicts: Verdict[] = [];
  try {
    if (c.connectMain) {
      await session.post("40", "text/plain;charset=UTF-8");
      session.startGet();
      await session.settleGets();
    }
    for (const [i, a] of c.actions.entries()) {
      if (a.kind === "post") {
        const res = await session.post(bodyBytes(a.body), a.contentType, sidOf(a.sid, session));
        if (res.kind === "hang") verdicts.push({ session: `POST#${i}`, outcome: "hang", how: "no answer and no close" });
        else if (res.kind === "response" && res.status >= 500) verdicts.push({ session: `POST#${i}`, outcome: "bad", how: `answered ${res.status}` });
      } else if (a.kind === "gets") {
        for (let n = 0; n < a.count; n++) session.startGet(sidOf(a.sid, session));
      } else {
        const res = await rawExchange(ctx.port, { chunks: [lyingPost(session, a)], chunkDelayMs: 0, after: a.after }, ctx.waitMs);
        if (res.timedOut) verdicts.push({ session: `lying-POST#${i}`, outcome: "hang", how: "half-closed, but the server neither answered nor closed" });
      }
    }
    verdicts.push(await session.probe("polling"));
  } finally {
    await session.close();
  }
  // A GET still held after the close packet is a hang too (the close must release it).
  if (session.hung !== undefined && !verdicts.some((v) => v.outcome === "hang")) {
    verdicts.push({ session: "polling", outcome: "hang", how: session.hung });
  }
  return verdicts;
}

/** The `polling` surface. */
export const pollingSurface: Surface<PollingCase> = {
  name: "polling",
  arbitrary: fc.record({
    connectMain: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    actions: fc.array(action, { minLength: 1, maxLength: 6 }),
  }),
  play,
  describe: (c) => describeValue(c),
};

