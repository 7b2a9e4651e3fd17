/**
 * Bad input over HTTP long-polling, against the Socket.IO server. Each case must get the right
 * HTTP status, close ONLY the offending session (with the right disconnect reason), and an
 * official client (default options: polling, then upgrade) connected before it must still
 * receive a broadcast sent afterwards, with nothing else before it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, connectRecorded, serverSocket, startServer, waitFor, type ServerOpts } from "../support/harness.ts";
import { pendingGet, PollingClient, request } from "./helpers.ts";
import type { HttpResult } from "./helpers.ts";
import type { EngineServer } from "../../src/transport/index.ts";

afterEach(cleanup);

interface Outcome {
  /** The HTTP answer to the bad request. */
  answer: HttpResult;
  /** Server-side disconnect reason of the bad client's socket (undefined if it stayed connected). */
  reason: unknown;
  /** What a GET with the bad client's sid gets afterwards. */
  after: HttpResult;
}

/**
 * Starts a server, connects a good official client (default transports) and a raw polling
 * client joined to "/", lets `misbehave` do its worst, and checks that only the raw one suffered.
 */
async function scenario(
  opts: ServerOpts,
  misbehave: (bad: PollingClient, engine: EngineServer) => Promise<HttpResult>,
  expectClosed = true,
): Promise<Outcome> {
  const { io, port, url } = await startServer(opts);
  const nsp = io.of("/");
  const good = await connectRecorded(url(), { transports: ["polling", "websocket"] });

  const bad = new PollingClient(port, "/socket.io/");
  await bad.handshake();
  await bad.post("40");
  const connected = (await bad.get()).body;
  const sid = (JSON.parse(connected.slice(2)) as { sid: string }).sid;
  const sock = serverSocket(nsp, sid);
  let reason: unknown;
  const disconnected = waitFor(sock, "disconnect").then(([r]) => {
    reason = r;
  });

  const answer = await misbehave(bad, io.engine);
  if (expectClosed) await disconnected;
  const after = await (expectClosed ? bad.get() : Promise.resolve(answer));

  // Only that session suffered: the good client gets a later broadcast, and nothing before it.
  expect(good.client.connected).toBe(true);
  io.emit("after-bad-client", "still here");
  expect(await good.rec.until("after-bad-client")).toEqual([]);
  expect(good.rec.events.at(-1)).toEqual(["after-bad-client", "still here"]);
  const remaining = [...nsp.sockets.keys()];
  expect(remaining).toContain(good.client.id);
  expect(remaining.includes(sid)).toBe(!expectClosed);
  return { answer, reason, after };
}

describe("Bad input over polling", () => {
  it("[EIO4:parse-error] a malformed payload → 400, 'parse error'", async () => {
    const out = await scenario({}, (bad) => bad.post("9garbage"));
    expect(out.answer.status).toBe(400);
    expect(out.answer.body).toBe('{"code":3,"message":"Bad request"}');
    expect(out.reason).toBe("parse error");
    expect(out.after.status).toBe(400);
  });

  it("[EIO4:parse-error] an empty POST body → 400, 'parse error'", async () => {
    const out = await scenario({}, (bad) => bad.post(""));
    expect(out.answer.status).toBe(400);
    expect(out.reason).toBe("parse error");
  });

  it("[EIO4:parse-error] a body that is not UTF-8 → 400, 'parse error'", async () => {
    const out = await scenario({}, (bad) => bad.post(Buffer.from([0x34, 0x32, 0xff, 0xfe, 0x5b])));
    expect(out.answer.status).toBe(400);
    expect(out.reason).toBe("parse error");
  });

  it("[EIO4:max-payload] a POST above maxHttpBufferSize → 413, 'transport error'", async () => {
    const out = await scenario({ maxHttpBufferSize: 1000 }, (bad) => bad.post(`42["big","${"a".repeat(2000)}"]`));
    expect(out.answer.status).toBe(413);
    expect(out.reason).toBe("transport error");
    expect(out.after.status).toBe(400);
  });

  it("[EIO4:max-payload] a POST above the limit without Content-Length (chunked) → 413, 'transport error'", async () => {
    const out = await scenario({ maxHttpBufferSize: 1000 }, (bad) =>
      request(bad.port, bad.url(), {
        method: "POST",
        headers: { "Content-Type": "text/plain", "Transfer-Encoding": "chunked" },
        body: `42["big","${"a".repeat(2000)}"]`,
      }),
    );
    expect(out.answer.status).toBe(413);
    expect(out.reason).toBe("transport error");
  });

  it("[EIO4:polling-payload] a POST with a binary content type → 400, 'transport error'", async () => {
    const out = await scenario({}, (bad) => bad.post('42["x"]', { "Content-Type": "application/octet-stream" }));
    expect(out.answer.status).toBe(400);
    expect(out.reason).toBe("transport error");
  });

  it("[EIO4:polling-overlap] two concurrent GETs → the second 400, the first the close packet, 'transport error'", async () => {
    let first: Promise<HttpResult> | undefined;
    const out = await scenario({}, async (bad, engine) => {
      const pending = await pendingGet(engine, bad);
      first = pending.response;
      return bad.get();
    });
    expect(out.answer.status).toBe(400);
    expect((await first)?.body).toBe("1");
    expect(out.reason).toBe("transport error");
  });

  it("[EIO4:polling-errors] a request with an unknown sid → 400 code 1; no session is touched", async () => {
    const out = await scenario(
      {},
      (bad) => request(bad.port, "/socket.io/?EIO=4&transport=polling&sid=nope", { method: "POST", body: "1" }),
      false,
    );
    expect(out.answer.status).toBe(400);
    expect(out.answer.body).toBe('{"code":1,"message":"Session ID unknown"}');
  });

  it("[EIO4:heartbeat] a client that abandons its session (stops polling) → 'ping timeout'", async () => {
    const out = await scenario({ pingInterval: 100, pingTimeout: 400 }, async (bad) => {
      // Nothing more: no GET to read the ping, no POST to answer it.
      return { status: 0, headers: {}, raw: Buffer.alloc(0), body: bad.sid };
    });
    expect(out.reason).toBe("ping timeout");
    expect(out.after.status).toBe(400);
    expect(out.after.body).toBe('{"code":1,"message":"Session ID unknown"}');
  });
});
