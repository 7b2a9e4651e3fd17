/**
 * Surface `upgrade`: raw upgrade requests over a TCP socket — a WebSocket upgrade on the engine
 * path (fresh, or for a live polling session's sid, or a bogus one) and on other paths,
 * `Upgrade: h2c`, a missing or broken Sec-WebSocket-Key, version 99 — written whole, cut short
 * or trickled, then followed by a reset, a half-close, or a wait for the answer; after a 101,
 * frames (the upgrade probe, garbage, unmasked ones) and again a reset or half-close.
 */
import fc from "fast-check";
import { eioPacket } from "../arbitraries/eio.ts";
import { describeValue } from "../describe.ts";
import { headOf, rawExchange, type RawOutcome } from "../wire/http.ts";
import { PollingSession } from "../wire/polling-session.ts";
import { clientFrame, textFrame } from "../wire/ws-frame.ts";
import type { PlayContext, Surface, Verdict } from "./types.ts";

export type UpgradeTarget = "engine" | "engine-live-sid" | "engine-bogus-sid" | "engine-bad-query" | "other-path" | "root";

/** A frame sent after a 101. */
export type AfterFrame = { kind: "text"; data: string } | { kind: "raw"; bytes: Uint8Array } | { kind: "unmasked"; data: string } | { kind: "reserved"; opcode: number; rsv: number };

export interface UpgradeAttempt {
  target: UpgradeTarget;
  upgrade: string | null;
  connection: string | null;
  key: "valid" | "missing" | "empty" | "garbage";
  version: string | null;
  extraHeaders: Array<[string, string]>;
  /** Send only this many bytes of the head (null: all of it). */
  cutAt: number | null;
  /** Bytes per write when trickled (0: one write). */
  trickle: number;
  /** What the client does once the head is written. */
  after: "reset" | "end" | "wait";
  /** After a 101 (when `after` is "wait"): frames, then how the client leaves. */
  frames: AfterFrame[];
  leave: "reset" | "end";
}

export interface UpgradeCase {
  attempts: UpgradeAttempt[];
}

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

const afterFrame: fc.Arbitrary<AfterFrame> = fc.oneof(
  { weight: 3, arbitrary: fc.oneof(fc.constantFrom("2probe", "5", "40", "6"), eioPacket).map((data): AfterFrame => ({ kind: "text", data })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 32 }).map((bytes): AfterFrame => ({ kind: "raw", bytes })) },
  { weight: 1, arbitrary: fc.constantFrom("2probe", "5").map((data): AfterFrame => ({ kind: "unmasked", data })) },
  { weight: 1, arbitrary: fc.record({ opcode: fc.constantFrom(3, 7, 11, 15), rsv: fc.nat(7) }).map((r): AfterFrame => ({ kind: "reserved", ...r })) },
);

const attempt: fc.Arbitrary<UpgradeAttempt> = fc.record({
  target: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom<UpgradeTarget>("engine", "engine-live-sid") },
    { weight: 2, arbitrary: fc.constantFrom<UpgradeTarget>("engine-bogus-sid", "engine-bad-query", "other-path", "root") },
  ),
  upgrade: fc.oneof({ weight: 4, arbitrary: fc.constant<string | null>("websocket") }, { weight: 2, arbitrary: fc.constantFrom<string | null>("h2c", "WebSocket", "websocket, h2c", "garbage", "", null) }),
  connection: fc.oneof({ weight: 4, arbitrary: fc.constant<string | null>("Upgrade") }, { weight: 1, arbitrary: fc.constantFrom<string | null>("upgrade, keep-alive", "Upgrade, HTTP2-Settings", "keep-alive", null) }),
  key: fc.oneof({ weight: 4, arbitrary: fc.constant("valid" as const) }, { weight: 1, arbitrary: fc.constantFrom("missing" as const, "empty" as const, "garbage" as const) }),
  version: fc.oneof({ weight: 4, arbitrary: fc.constant<string | null>("13") }, { weight: 1, arbitrary: fc.constantFrom<string | null>("99", "8", "", "abc", null) }),
  extraHeaders: fc.array(
    fc.constantFrom<[string, string]>(
      ["Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"],
      ["Sec-WebSocket-Extensions", "permessage-deflate; server_max_window_bits=99"],
      ["Sec-WebSocket-Extensions", ";;;,"],
      ["Sec-WebSocket-Protocol", "a, a"],
      ["HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA"],
      ["Origin", "http://evil.example"],
      ["Content-Length", "5"],
    ),
    { maxLength: 2 },
  ),
  cutAt: fc.option(fc.nat(400), { freq: 5 }),
  trickle: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 24 }) }),
  after: fc.oneof({ weight: 3, arbitrary: fc.constant("wait" as const) }, { weight: 2, arbitrary: fc.constantFrom("reset" as const, "end" as const) }),
  frames: fc.array(afterFrame, { maxLength: 3 }),
  leave: fc.constantFrom("reset" as const, "end" as const),
});

function pathOf(a: UpgradeAttempt, enginePath: string, liveSid: string | undefined): string {
  switch (a.target) {
    case "engine":
      return `${enginePath}?EIO=4&transport=websocket`;
    case "engine-live-sid":
      return `${enginePath}?EIO=4&transport=websocket&sid=${encodeURIComponent(liveSid ?? "none")}`;
    case "engine-bogus-sid":
      return `${enginePath}?EIO=4&transport=websocket&sid=bogus`;
    case "engine-bad-query":
      return `${enginePath}?EIO=3&transport=websocket&transport=polling`;
    case "other-path":
      return "/other/ws";
    case "root":
      return "/";
  }
}

function headOfAttempt(a: UpgradeAttempt, path: string): Buffer {
  const lines = [`GET ${path} HTTP/1.1`, "Host: 127.0.0.1"];
  if (a.connection !== null) lines.push(`Connection: ${a.connection}`);
  if (a.upgrade !== null) lines.push(`Upgrade: ${a.upgrade}`);
  if (a.key !== "missing") lines.push(`Sec-WebSocket-Key: ${a.key === "valid" ? KEY : a.key === "empty" ? "" : "not base64!"}`);
  if (a.version !== null) lines.push(`Sec-WebSocket-Version: ${a.version}`);
  for (const [n, v] of a.extraHeaders) lines.push(`${n}: ${v}`);
  const head = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
  return a.cutAt === null ? head : head.subarray(0, a.cutAt % head.length);
}

function chunksOf(bytes: Buffer, size: number): Uint8Array[] {
  if (size <= 0) return [bytes];
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

function frameBytes(f: AfterFrame): Buffer {
  switch (f.kind) {
    case "text":
      return textFrame(f.data);
    case "raw":
      return Buffer.from(f.bytes);
    case "unmasked":
      return clientFrame({ opcode: 1, payload: Buffer.from(f.data), mask: false });
    case "reserved":
      return clientFrame({ opcode: f.opcode, payload: Buffer.from("x"), rsv: f.rsv });
  }
}

/** Waits for the server to close `res.socket` after the client's half-close (bounded). */
function serverCloses(socket: NonNullable<RawOutcome["socket"]>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) {
      resolve(true);
      return;
    }
    const timer = setTimeout(() => resolve(false), ms);
    const done = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    socket.once("end", done);
    socket.once("close", done);
    socket.resume();
  });
}

async function playAttempt(a: UpgradeAttempt, label: string, ctx: PlayContext, liveSid: string | undefined): Promise<Verdict | undefined> {
  const head = headOfAttempt(a, pathOf(a, ctx.path, liveSid));
  // An unfinished head is only ever followed by a reset or a half-close: a server may wait for
  // the rest of a request for as long as its headersTimeout (a minute), which is no hang.
  const after = a.cutAt !== null && a.after === "wait" ? "end" : a.after;
  const res = await rawExchange(ctx.port, { chunks: chunksOf(head, a.trickle), chunkDelayMs: a.trickle > 0 ? 1 : 0, after, resetAfterMs: 5, untilHead: after === "wait" }, ctx.waitMs);
  if (after === "reset") return undefined;
  const answer = headOf(res.data);
  if (res.timedOut) return { session: label, outcome: "hang", how: answer ? `answered ${answer.status} but kept the socket open` : "neither answered nor closed" };
  if (answer && answer.status >= 500) return { session: label, outcome: "bad", how: `answered ${answer.status}` };
  if (!res.socket) return { session: label, outcome: "closed", how: answer ? `answered ${answer.status}, closed` : "closed without an answer" };
  const socket = res.socket;
  if (answer?.status !== 101) {
    // Not upgraded. A plain request (no Upgrade header) may be kept alive; once the client
    // half-closes, the server must close its side.
    socket.end();
    const closed = await serverCloses(socket, ctx.waitMs);
    socket.destroy();
    return closed
      ? { session: label, outcome: "closed", how: `answered ${answer?.status ?? "?"}, closed` }
      : { session: label, outcome: "hang", how: `answered ${answer?.status ?? "?"}, and kept the socket open after the client's half-close` };
  }
  for (const f of a.frames) if (!socket.destroyed) socket.write(frameBytes(f));
  if (a.leave === "reset") {
    socket.resetAndDestroy();
    return { session: label, outcome: "served", how: "upgraded (101), then reset" };
  }
  socket.end();
  const closed = await serverCloses(socket, ctx.waitMs);
  socket.destroy();
  return closed ? { session: label, outcome: "served", how: "upgraded (101); closed after the half-close" } : { session: label, outcome: "hang", how: "upgraded (101), half-closed, but the server kept its side open" };
}

async function play(c: UpgradeCase, ctx: PlayContext): Promise<Verdict[]> {
  const verdicts: Verdict[] = [];
  const sessions = await Promise.all(
    c.attempts.map(async (a) => (a.target === "engine-live-sid" ? PollingSession.open(ctx) : undefined)),
  );
  await Promise.all(
    c.attempts.map(async (a, i) => {
      const s = sessions[i];
      const v = await playAttempt(a, `upgrade#${i}`, ctx, s instanceof PollingSession ? s.sid : undefined);
      if (v) verdicts.push(v);
    }),
  );
  // Live polling sessions whose upgrade did not go through are closed by the client.
  await Promise.all(sessions.map((s) => (s instanceof PollingSession ? s.close() : undefined)));
  return verdicts;
}

/** The `upgrade` surface. */
export const upgradeSurface: Surface<UpgradeCase> = {
  name: "upgrade",
  arbitrary: fc.record({ attempts: fc.array(attempt, { minLength: 1, maxLength: 4 }) }),
  play,
  describe: (c) => describeValue(c),
};
