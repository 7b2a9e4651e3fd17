/**
 * Surface `ws-frames`: Engine.IO packets and payloads over a raw WebSocket — text and binary
 * frames, oversized ones, several packets in one frame — after a valid handshake, sent before the
 * OPEN packet was even read, or on a WebSocket whose handshake query is wrong.
 */
import fc from "fast-check";
import { eioPacket, joinPayload, payloadJoin, payloadPackets, type PayloadJoin } from "../arbitraries/eio.ts";
import { describeValue } from "../describe.ts";
import { DeadlineError } from "../deadline.ts";
import { AttackSocket } from "../wire/ws-session.ts";
import type { PlayContext, Surface, Verdict } from "./types.ts";

/** One frame to send. */
export type WsFrame =
  | { kind: "text"; data: string }
  | { kind: "binary"; data: Uint8Array }
  /** A frame just over the server's 1 MB limit (maxHttpBufferSize). */
  | { kind: "oversized"; binary: boolean; extra: number }
  /** Several Engine.IO packets in one frame (a polling payload where it does not belong). */
  | { kind: "payload"; packets: string[]; join: PayloadJoin };

/** How the WebSocket is opened. */
export type WsMode =
  /** A valid handshake; frames are sent once the OPEN packet arrived. */
  | { kind: "after-open"; connectMain: boolean }
  /** A valid handshake; frames are sent the moment the upgrade is done, before reading OPEN. */
  | { kind: "eager" }
  /** A wrong handshake query: the upgrade should be refused; frames are sent if it is not. */
  | { kind: "bad-query"; query: string };

export interface WsFramesCase {
  mode: WsMode;
  frames: WsFrame[];
}

/** The server's default maxHttpBufferSize (also the WebSocket maxPayload). */
const MAX_PAYLOAD = 1e6;

const BAD_QUERIES = [
  "transport=websocket",
  "EIO=3&transport=websocket",
  "EIO=5&transport=websocket",
  "EIO=abc&transport=websocket",
  "EIO=4",
  "EIO=4&transport=polling",
  "EIO=4&transport=webtransport",
  "EIO=4&transport=websocket&transport=websocket",
  "EIO=4&EIO=4&transport=websocket",
  "EIO=4&transport=websocket&sid=bogus",
  "EIO=4&transport=websocket&sid=",
  `EIO=4&transport=websocket&sid=${"s".repeat(2000)}`,
] as const;

const frame: fc.Arbitrary<WsFrame> = fc.oneof(
  { weight: 6, arbitrary: eioPacket.map((data): WsFrame => ({ kind: "text", data })) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 64 }).map((data): WsFrame => ({ kind: "binary", data })) },
  { weight: 2, arbitrary: fc.record({ packets: payloadPackets, join: payloadJoin }).map((p): WsFrame => ({ kind: "payload", ...p })) },
  { weight: 1, arbitrary: fc.record({ binary: fc.boolean(), extra: fc.nat(1000) }).map((o): WsFrame => ({ kind: "oversized", ...o })) },
);

const mode: fc.Arbitrary<WsMode> = fc.oneof(
  { weight: 6, arbitrary: fc.boolean().map((connectMain): WsMode => ({ kind: "after-open", connectMain })) },
  { weight: 1, arbitrary: fc.constant<WsMode>({ kind: "eager" }) },
  { weight: 1, arbitrary: fc.constantFrom(...BAD_QUERIES).map((query): WsMode => ({ kind: "bad-query", query })) },
);

function bytesOf(f: WsFrame): string | Uint8Array {
  switch (f.kind) {
    case "text":
      return f.data;
    case "binary":
      return f.data;
    case "payload":
      return joinPayload(f.packets, f.join);
    case "oversized":
      return f.binary ? new Uint8Array(MAX_PAYLOAD + 1 + f.extra) : `4${"x".repeat(MAX_PAYLOAD + f.extra)}`;
  }
}

async function play(c: WsFramesCase, ctx: PlayContext): Promise<Verdict[]> {
  const query = c.mode.kind === "bad-query" ? c.mode.query : "EIO=4&transport=websocket";
  const socket = new AttackSocket(ctx, query);
  try {
    if (!(await socket.opened(ctx.waitMs))) return [{ session: "ws", outcome: "closed", how: socket.ended ?? "refused" }];
    if (c.mode.kind === "after-open") {
      const open = await socket.waitFor((f) => typeof f === "string" && f.startsWith("0{"), 0, ctx.waitMs, "no OPEN packet");
      if (open === undefined) return [{ session: "ws", outcome: "closed", how: socket.ended ?? "closed before OPEN" }];
      if (c.mode.connectMain) {
        socket.send("40");
        const answer = await socket.waitFor((f) => typeof f === "string" && f.startsWith("40{"), 0, ctx.waitMs, "no answer to CONNECT");
        if (answer === undefined) return [{ session: "ws", outcome: "closed", how: socket.ended ?? "closed at CONNECT" }];
      }
    }
    for (const f of c.frames) socket.send(bytesOf(f));
    return [await socket.probe("ws", ctx.waitMs)];
  } catch (err) {
    if (err instanceof DeadlineError) return [{ session: "ws", outcome: "hang", how: err.message }];
    throw err;
  } finally {
    socket.terminate();
  }
}

/** The `ws-frames` surface. */
export const wsFramesSurface: Surface<WsFramesCase> = {
  name: "ws-frames",
  arbitrary: fc.record({ mode, frames: fc.array(frame, { maxLength: 8 }) }),
  play,
  describe: (c) => describeValue(c),
};
