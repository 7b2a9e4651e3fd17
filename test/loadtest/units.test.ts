/**
 * The load test's building blocks: the histogram's percentiles against exact ones, the
 * Socket.IO packet header reader, and the message stamp read back from however a server wraps it.
 */
import { describe, expect, it } from "vitest";
import { CLOSE_GRACE_MS, MAX_IN_FLIGHT, rampBoundMs, runDeadlineMs } from "../../bench/loadtest/bounds.ts";
import { Histogram } from "../../bench/loadtest/histogram.ts";
import { parseOptions, parseTarget, UsageError } from "../../bench/loadtest/options.ts";
import { connectPacket, eventPacket, readSioHeader, readStampIn, stampedText } from "../../bench/loadtest/wire.ts";

describe("Histogram", () => {
  it("gives every percentile within 1% of the exact value, and the exact min, max and mean", () => {
    const h = new Histogram();
    // A skewed spread from 20 µs to about 2 s, deterministic.
    const values = Array.from({ length: 10_000 }, (_, i) => 0.02 * Math.pow(1.0012, i));
    for (const v of [...values].reverse()) h.record(v);
    const p = h.percentiles();
    const exact = (q: number): number => values[Math.ceil(q * values.length) - 1]!;
    for (const [q, got] of [[0.5, p.p50], [0.9, p.p90], [0.99, p.p99], [0.999, p.p999]] as const) {
      expect(Math.abs(got / exact(q) - 1), `q=${q}`).toBeLessThan(0.01);
    }
    expect(p.count).toBe(10_000);
    expect(p.min).toBe(values[0]);
    expect(p.max).toBe(values.at(-1));
    expect(p.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 9);
  });

  it("ignores what cannot be a duration and reports NaN when empty", () => {
    const h = new Histogram();
    for (const v of [-1, Number.NaN, Number.POSITIVE_INFINITY]) h.record(v);
    expect(h.count).toBe(0);
    expect(h.percentiles().p50).toBeNaN();
    h.record(0);
    expect(h.percentiles()).toMatchObject({ count: 1, min: 0, p50: 0, max: 0 });
  });
});

describe("wire", () => {
  it("builds CONNECT and EVENT packets for the main namespace and others [SIO5:packet-format]", () => {
    expect(connectPacket("/", undefined)).toBe("40");
    expect(connectPacket("/chat", { token: "t" })).toBe('40/chat,{"token":"t"}');
    expect(eventPacket("/", ["join", "r0"], 0)).toBe('420["join","r0"]');
    expect(eventPacket("/chat", ["m", "x"])).toBe('42/chat,["m","x"]');
  });

  it.each([
    ['40{"sid":"a"}', { type: 0, nsp: "/", id: -1, dataAt: 2 }],
    ['40/chat,{"sid":"a"}', { type: 0, nsp: "/chat", id: -1, dataAt: 8 }],
    ["430[]", { type: 3, nsp: "/", id: 0, dataAt: 3 }],
    ['43/chat,17[{"ok":true}]', { type: 3, nsp: "/chat", id: 17, dataAt: 10 }],
    ['451-["m",{"_placeholder":true,"num":0}]', { type: 5, nsp: "/", id: -1, dataAt: 4 }],
    ["41/chat,", { type: 1, nsp: "/chat", id: -1, dataAt: 8 }],
  ])("reads the header of %s", (packet, header) => {
    expect(readSioHeader(packet)).toEqual(header);
  });

  it("refuses what is not a Socket.IO packet", () => {
    for (const packet of ["", "3", "2probe", "4", "49[]", "45[]"]) expect(readSioHeader(packet), packet).toBeUndefined();
  });

  it("reads the stamp back whether the server relays the text alone or wrapped in an object", () => {
    const text = stampedText("ab12cd34", 17, 1764774075123.456, 64);
    expect(text).toHaveLength(64);
    const expected = { run: "ab12cd34", sender: 17, stamp: 1764774075123.456 };
    expect(readStampIn(`42["chat message",${JSON.stringify(text)}]`)).toEqual(expected);
    expect(readStampIn(`42/x,["chat message",${JSON.stringify({ from: "guest-1", text, room: "r" })}]`)).toEqual(expected);
    // Shorter than the stamp: the stamp alone is sent.
    expect(readStampIn(`42["m","${stampedText("r", 1, 5, 1)}"]`)).toEqual({ run: "r", sender: 1, stamp: 5 });
    expect(readStampIn('42["chat message","hello"]')).toBeUndefined();
    expect(readStampIn('42["chat message","LT1~run~x~1~"]')).toBeUndefined();
  });
});

describe("options", () => {
  it("takes the namespace from the URL's path and the Engine.IO path from --path", () => {
    expect(parseTarget("http://localhost:3000", "/socket.io/")).toMatchObject({ nsp: "/" });
    const t = parseTarget("https://example.com:8443/chat/", "/ws");
    expect(t.nsp).toBe("/chat");
    expect(t.engineUrl.href).toBe("https://example.com:8443/ws/");
  });

  it("has defaults that make a bounded run against npm start", () => {
    const opts = parseOptions(["--url", "http://localhost:3000"]);
    expect(opts).toMatchObject({ clients: 100, rooms: 1, rate: 10, durationS: 10, joinEvent: "join", messageEvent: "chat message", transport: "websocket" });
    expect(parseOptions(["--url", "http://localhost:3000", "--rooms", "0"])).toMatchObject({ rate: 0 });
  });

  it.each([
    [["--url", "ws://127.0.0.1:3000"], /--url must be http:\/\/ or https:\/\//],
    [["--url", "file:///etc/passwd"], /--url must be http:\/\/ or https:\/\//],
    [["--url", "not a url"], /--url is not a URL/],
    [["--url", "http://user:pw@host"], /must not carry credentials/],
    [[], /--url is required/],
    [["--url", "http://h", "--clients", "50001"], /--clients must be an integer from 1 to 50000/],
    [["--url", "http://h", "--clients", "0"], /--clients must be an integer from 1 to 50000/],
    [["--url", "http://h", "--duration", "3601"], /--duration must be a number above 0 and at most 3600/],
    [["--url", "http://h", "--rate", "100001"], /--rate must be a number from 0 to 100000/],
    [["--url", "http://h", "--ramp", "0"], /--ramp must be a number above 0/],
    [["--url", "http://h", "--rate", "5", "--rooms", "0"], /--rate needs rooms/],
    [["--url", "http://h", "--clients", "5", "--rooms", "6"], /--rooms must be an integer from 0 to 5/],
    [["--url", "http://h", "--transport", "webtransport"], /--transport must be websocket or polling/],
    [["--url", "http://h", "--auth", "[1]"], /--auth must be a JSON object/],
    [["--url", "http://h", "--bogus"], /Unknown option '--bogus'/],
  ])("refuses %j", (args, message) => {
    expect(() => parseOptions(args)).toThrow(UsageError);
    expect(() => parseOptions(args)).toThrow(message);
  });
});

/**
 * The ramp's schedule, worked out for a server that answers every handshake in exactly
 * `handshakeMs` (the connect timeout: the worst case): the probe alone, then client k at
 * k / ramp s at the earliest, and only while fewer than MAX_IN_FLIGHT are in their handshake.
 * Returns when the last client settles, in ms.
 */
function worstRampMs(clients: number, ramp: number, handshakeMs: number): number {
  const settledAt: number[] = [];
  const rampStart = handshakeMs; // after the probe
  for (let k = 1; k < clients; k++) {
    // Equal handshake times: clients settle in launch order, so slot k frees when k - MAX settles.
    const slotFree = k > MAX_IN_FLIGHT ? settledAt[k - 1 - MAX_IN_FLIGHT]! : rampStart;
    settledAt.push(Math.max(rampStart + (k / ramp) * 1_000, slotFree) + handshakeMs);
  }
  return settledAt.at(-1) ?? rampStart;
}

describe("bounds", () => {
  // Regression: the deadline counted clients / ramp for the ramp, so a server slower than the
  // ramp (the in-flight cap then sets the pace) had the run cut short mid-ramp.
  it("gives the ramp time for every batch of handshakes to take the whole connect timeout", () => {
    for (const [clients, ramp, timeoutS] of [[5_000, 1_000, 10], [5_000, 20_000, 1], [1_201, 100, 2], [1, 1_000, 10], [50_000, 500, 10]] as const) {
      const opts = { clients, ramp, connectTimeoutS: timeoutS, durationS: 5, drainS: 5 };
      const worst = worstRampMs(clients, ramp, timeoutS * 1_000);
      expect(rampBoundMs(opts), `${clients} clients at ${ramp}/s, ${timeoutS} s timeout`).toBeGreaterThanOrEqual(worst);
      expect(runDeadlineMs(opts)).toBeGreaterThanOrEqual(worst + (opts.durationS + opts.drainS) * 1_000 + CLOSE_GRACE_MS);
    }
  });

  it("still covers the ramp rate itself when handshakes are quick", () => {
    const opts = { clients: 20_000, ramp: 100, connectTimeoutS: 1 };
    expect(rampBoundMs(opts)).toBeGreaterThanOrEqual(worstRampMs(opts.clients, opts.ramp, 1));
    expect(rampBoundMs(opts)).toBeGreaterThanOrEqual((opts.clients / opts.ramp) * 1_000);
  });
});
