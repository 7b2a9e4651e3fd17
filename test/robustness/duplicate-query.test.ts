/**
 * Item 4 of issue #9: a request that repeats an engine query parameter. socket.io's engine
 * lets the last value win (checked side by side: `transport=polling&transport=websocket` is a
 * WebSocket request without Upgrade, 400 code 3; `EIO=4&EIO=3` is 400 code 5; `sid=A&sid=B`
 * looks up B). roomcast refuses every repetition of `EIO`, `transport` or `sid` with 400
 * `{"code":3,"message":"Bad request"}`, on polling, upgrade and sid requests alike: no guess
 * about which value counts. [EIO4:http-errors]
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseQuery } from "../../src/transport/handshake.ts";
import { cleanup, startServer, waitFor } from "../support/harness.ts";
import { rawUpgrade } from "../transport/helpers.ts";
import { PollingClient, request } from "../polling/helpers.ts";

afterEach(cleanup);

const BAD_REQUEST = { code: 3, message: "Bad request" };

describe("Repeated engine query parameters [EIO4:http-errors]", () => {
  it.each([
    ["transport, polling then websocket", "EIO=4&transport=polling&transport=websocket"],
    ["transport, twice the same", "EIO=4&transport=polling&transport=polling"],
    ["EIO, twice", "EIO=4&EIO=4&transport=polling"],
    ["EIO, 4 then 3", "EIO=4&EIO=3&transport=polling"],
    ["transport, escaped", "EIO=4&transport=polling&transport=%77ebsocket"],
  ])("a polling handshake with %s gets 400 code 3 and opens no session", async (_name, query) => {
    const { io, port } = await startServer();
    const refused = waitFor(io.engine, "connection_error");
    const res = await request(port, `/socket.io/?${query}`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual(BAD_REQUEST);
    const [err] = (await refused) as [{ context: { name: string } }];
    expect(err.context.name).toBe("DUPLICATE_QUERY_PARAMETER");
    expect(io.engine.clientsCount).toBe(0);
  });

  it.each([
    ["transport", "EIO=4&transport=websocket&transport=polling"],
    ["EIO", "EIO=4&EIO=4&transport=websocket"],
  ])("a WebSocket handshake repeating %s gets 400 code 3", async (_name, query) => {
    const { io, port } = await startServer();
    const res = await rawUpgrade(port, `/socket.io/?${query}`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual(BAD_REQUEST);
    expect(io.engine.clientsCount).toBe(0);
  });

  it("requests of a session that repeat its sid get 400 code 3, and the session is unaffected", async () => {
    const { io, port } = await startServer();
    const client = new PollingClient(port, "/socket.io/");
    await client.handshake();
    const twice = `/socket.io/?EIO=4&transport=polling&sid=${client.sid}&sid=${client.sid}`;
    const get = await request(port, twice);
    const post = await request(port, twice, { method: "POST", body: "40", headers: { "Content-Type": "text/plain;charset=UTF-8" } });
    const upgrade = await rawUpgrade(port, `/socket.io/?EIO=4&transport=websocket&sid=${client.sid}&sid=other`);
    for (const res of [get, post, upgrade]) {
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toEqual(BAD_REQUEST);
    }
    // Still open, and the refused POST's CONNECT was not taken.
    expect(io.engine.clientsCount).toBe(1);
    await client.post("40");
    expect((await client.get()).body).toMatch(/^40\{"sid":/);
  });

  it("other parameters may repeat (a cache-busting `t`, application parameters)", async () => {
    const { port } = await startServer();
    const res = await request(port, "/socket.io/?EIO=4&transport=polling&t=1&t=2&room=a&room=b");
    expect(res.status).toBe(200);
    expect(res.body.startsWith("0{")).toBe(true);
  });
});

describe("EngineQuery.repeats", () => {
  it.each<[string, string, boolean]>([
    ["EIO=4&transport=polling", "EIO", false],
    ["EIO=4&EIO=4", "EIO", true],
    ["EIO=4&&EIO", "EIO", true],
    ["EIOX=1&EIO=4", "EIO", false],
    ["EIO=4&XEIO=4", "EIO", false],
    ["sid&sid=", "sid", true],
    ["a=%41&sid=1&sid=2", "sid", true],
    ["a=%41&sid=1", "sid", false],
  ])("%s repeats %s: %s", (search, name, expected) => {
    expect(parseQuery(`/p?${search}`).repeats(name)).toBe(expected);
  });
});
