/**
 * Which frame a recipient writes: a broadcast's shared message brings one frame built once for
 * every recipient; a session's own packet gets a frame of its own. frameOf tells them apart by a
 * field of SharedMessage rather than `instanceof` (see frame.ts for why).
 */
import { describe, expect, it } from "vitest";
import { buildFrame, frameOf, SharedMessage } from "../../src/transport/frame.ts";
import type { EnginePacket } from "../../src/transport/transport.ts";

describe("frameOf [EIO4:websocket-framing]", () => {
  it("hands every recipient of a shared message the very same frame, built once", () => {
    const shared = new SharedMessage('2["news","ü"]', { compress: true });
    const first = frameOf(shared);
    expect(frameOf(shared)).toBe(first);
    expect(Buffer.concat(first)).toEqual(Buffer.concat(buildFrame({ type: "message", data: '2["news","ü"]' })));
  });

  it("shares a binary attachment's bytes without copying them", () => {
    const bytes = Buffer.from([1, 2, 3]);
    const frame = frameOf(new SharedMessage(bytes, { compress: false }));
    expect(frame[1]).toBe(bytes);
  });

  it("builds a fresh frame for a session's own packet, even one shaped like a shared message", () => {
    const own: EnginePacket = { type: "message", data: "4hi", options: { compress: true } };
    const first = frameOf(own);
    expect(frameOf(own)).not.toBe(first);
    expect(Buffer.concat(first)).toEqual(Buffer.concat(buildFrame(own)));
    // A plain object carrying the same fields is still not a shared message: no cached frame.
    const lookalike = { type: "message", data: "4hi", options: { compress: true }, wsFrame: () => [] } as EnginePacket;
    expect(Buffer.concat(frameOf(lookalike))).toEqual(Buffer.concat(buildFrame(own)));
  });
});
