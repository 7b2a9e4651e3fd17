/**
 * E. Bad input over a raw WebSocket. Each case must close ONLY the offending connection
 * (with the server-side `disconnect` reason checked where a Socket.IO socket existed), and an
 * official client connected before the bad one must still receive a broadcast sent after the
 * bad connection closed.
 *
 * Reasons: roomcast documents "parse error" for Engine.IO- and Socket.IO-level garbage.
 * socket.io 4.8 says "parse error" only for Engine.IO-level garbage and "forced close" for
 * Socket.IO-level parse errors, so those assertions fail against socket.io by design.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  cleanup,
  connectRecorded,
  serverSocket,
  startServer,
  waitFor,
  type ServerOpts,
} from "../support/harness.ts";
import { RawClient, type CloseInfo } from "../support/raw.ts";

afterEach(cleanup);

interface Scenario {
  opts?: ServerOpts;
  /** Join the main namespace before misbehaving (so a server socket and its reason exist). */
  joinFirst: boolean;
  /** Answer pings. Default true. */
  autoPong?: boolean;
  /** What the bad client sends (nothing for the silent cases). */
  send?: Array<string | Buffer>;
  /**
   * After sending, probe with a CONNECT to an unknown namespace: a server that kept reading
   * after the bad frame answers it (44/nope,...) BEFORE closing — ordered proof it did not stop.
   */
  probe?: boolean;
}

interface Outcome {
  close: CloseInfo;
  /** Every text frame the bad client received. */
  texts: string[];
  /** Server-side disconnect reason of the raw client's socket (when joinFirst). */
  reason?: unknown;
  /** Every call of the user's `disconnect` listener on the raw client's socket. */
  disconnectCalls: unknown[][];
}

async function misbehave(s: Scenario): Promise<Outcome> {
  const { io, port, url } = await startServer(s.opts);
  const nsp = io.of("/");
  const good = await connectRecorded(url());

  const { raw } = await RawClient.open(port, { autoPong: s.autoPong ?? true });
  const disconnectCalls: unknown[][] = [];
  let reason: Promise<unknown[]> | undefined;
  if (s.joinFirst) {
    const sid = await raw.connectNsp("/");
    const sock = serverSocket(nsp, sid);
    sock.on("disconnect", (...args: unknown[]) => disconnectCalls.push(args));
    reason = waitFor(sock, "disconnect");
  }
  for (const frame of s.send ?? []) raw.send(frame);
  if (s.probe) {
    raw.send("40/nope,");
    const first = await Promise.race([
      raw.closed.then(() => "closed"),
      raw.nextText("44/nope,").then(() => "kept reading after the bad frame"),
    ]);
    expect(first).toBe("closed");
  }
  const close = await raw.closed;
  const reasonArgs = reason ? await reason : undefined;

  // Only that connection closed: the well-behaved client still gets a later broadcast, and
  // nothing else before it.
  expect(good.client.connected).toBe(true);
  io.emit("after-bad-client", "still here");
  expect(await good.rec.until("after-bad-client")).toEqual([]);
  expect(good.rec.events.at(-1)).toEqual(["after-bad-client", "still here"]);
  expect([...nsp.sockets.keys()]).toEqual([good.client.id]);

  return { close, texts: raw.texts(), reason: reasonArgs?.[0], disconnectCalls };
}

describe("Bad input over raw WebSocket", () => {
  it("[EIO4:packet-types] an unknown Engine.IO packet type (9hello) → 'parse error'", async () => {
    const out = await misbehave({ joinFirst: true, send: ["9hello"], probe: true });
    expect(out.reason).toBe("parse error");
  });

  it("[SIO5:packet-types] an invalid Socket.IO packet type (47[]) → 'parse error'", async () => {
    const out = await misbehave({ joinFirst: true, send: ["47[]"], probe: true });
    expect(out.reason).toBe("parse error");
  });

  it("[SIO5:event-payload] an EVENT whose payload is not an array (42{}) → 'parse error'", async () => {
    const out = await misbehave({ joinFirst: true, send: ["42{}"], probe: true });
    expect(out.reason).toBe("parse error");
  });

  it("[SIO5:event-payload] an EVENT with garbage before the JSON (42abc[\"x\"]) → 'parse error'", async () => {
    const out = await misbehave({ joinFirst: true, send: ['42abc["x"]'], probe: true });
    expect(out.reason).toBe("parse error");
  });

  it("[SIO5:event-name] an EVENT whose name is not a string (42[1,\"x\"]) → 'parse error'", async () => {
    const out = await misbehave({ joinFirst: true, send: ['42[1,"x"]'], probe: true });
    expect(out.reason).toBe("parse error");
  });

  it("[SIO5:attachments-count] a BINARY_EVENT announcing more attachments than allowed (11 > 10) → 'parse error'", async () => {
    const out = await misbehave({
      joinFirst: true,
      send: ['4511-["x",{"_placeholder":true,"num":0}]'],
      probe: true,
    });
    expect(out.reason).toBe("parse error");
  });

  it("[EIO4:max-payload] a message above maxHttpBufferSize → 'transport error'", async () => {
    const out = await misbehave({
      opts: { maxHttpBufferSize: 1e4 },
      joinFirst: true,
      send: [`42["big","${"a".repeat(2e4)}"]`],
    });
    expect(out.reason).toBe("transport error");
    expect(out.close.code).toBe(1009);
  });

  it("[SIO5:connect-timeout] a client that never sends CONNECT is closed after connectTimeout", async () => {
    const out = await misbehave({ opts: { connectTimeout: 200 }, joinFirst: false });
    expect(typeof out.close.code).toBe("number");
    expect(out.texts.filter((t) => t.startsWith("4"))).toEqual([]);
  });

  it("[EIO4:heartbeat] a client that stops answering pings → 'ping timeout'", async () => {
    const out = await misbehave({
      opts: { pingInterval: 50, pingTimeout: 100 },
      joinFirst: true,
      autoPong: false,
    });
    expect(out.reason).toBe("ping timeout");
    expect(out.texts).toContain("2"); // the server did ping, and got no pong
  });

  it("[SIO5:reserved-events] a client sending 42[\"disconnect\"] is closed; the user's disconnect listener runs once, with 'parse error'", async () => {
    const out = await misbehave({ joinFirst: true, send: ['42["disconnect"]'], probe: true });
    expect(out.disconnectCalls.map((args) => args[0])).toEqual(["parse error"]);
  });
});
