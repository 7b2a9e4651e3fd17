/**
 * Surface `sio-packets`: Socket.IO v5 packets over a WebSocket — every type, namespaces known,
 * dynamic, unknown and malformed, ack ids of any size and kind, JSON of any shape, binary
 * placeholders and attachment counts that lie, reserved and unusual event names — in bursts,
 * on a session that joined the main namespace first (mostly) or not.
 */
import fc from "fast-check";
import { encodeSio, sioPacket, type SioPacketSpec } from "../arbitraries/sio.ts";
import { describeValue } from "../describe.ts";
import { DeadlineError } from "../deadline.ts";
import { AttackSocket } from "../wire/ws-session.ts";
import type { PlayContext, Surface, Verdict } from "./types.ts";

export interface SioPacketsCase {
  /** Join the main namespace (a valid CONNECT, awaited) before the packets. */
  connectMain: boolean;
  packets: SioPacketSpec[];
}

async function play(c: SioPacketsCase, ctx: PlayContext): Promise<Verdict[]> {
  const socket = new AttackSocket(ctx, "EIO=4&transport=websocket");
  try {
    if (!(await socket.opened(ctx.waitMs))) return [{ session: "ws", outcome: "bad", how: `a valid WebSocket handshake was refused: ${socket.ended ?? ""}` }];
    const open = await socket.waitFor((f) => typeof f === "string" && f.startsWith("0{"), 0, ctx.waitMs, "no OPEN packet");
    if (open === undefined) return [{ session: "ws", outcome: "bad", how: `closed before OPEN: ${socket.ended ?? ""}` }];
    if (c.connectMain) {
      socket.send("40");
      const answer = await socket.waitFor((f) => typeof f === "string" && f.startsWith("40{"), 0, ctx.waitMs, "no answer to CONNECT");
      if (answer === undefined) return [{ session: "ws", outcome: "closed", how: socket.ended ?? "closed at CONNECT" }];
    }
    for (const spec of c.packets) {
      socket.send(`4${encodeSio(spec)}`);
      for (const b of spec.binaries) socket.send(b);
    }
    return [await socket.probe("ws", ctx.waitMs)];
  } catch (err) {
    if (err instanceof DeadlineError) return [{ session: "ws", outcome: "hang", how: err.message }];
    throw err;
  } finally {
    socket.terminate();
  }
}

/** Renders each packet as the text that was sent, then its binary frames. */
function describe(c: SioPacketsCase): string {
  return describeValue({
    connectMain: c.connectMain,
    frames: c.packets.flatMap((p) => [`4${encodeSio(p)}`, ...p.binaries]),
  });
}

/** The `sio-packets` surface. */
export const sioPacketsSurface: Surface<SioPacketsCase> = {
  name: "sio-packets",
  arbitrary: fc.record({
    connectMain: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    packets: fc.array(sioPacket, { minLength: 1, maxLength: 8 }),
  }),
  play,
  describe,
};
