/**
 * httpCompression: polling responses at or above the threshold are gzip/deflate-compressed when
 * the client accepts it; smaller ones, or clients that do not accept it, get plain text.
 */
import { once } from "node:events";
import { gunzipSync, inflateSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import type { EngineOptions, EngineSocket } from "../../src/transport/index.ts";
import { pickCoding } from "../../src/transport/http-compression.ts";
import { cleanup, startServer } from "../transport/helpers.ts";
import { PollingClient } from "./helpers.ts";
import type { HttpResult } from "./helpers.ts";

afterEach(cleanup);

/** Polls once after the server queued `message`. */
async function pollWith(opts: Partial<EngineOptions>, message: string, acceptEncoding?: string): Promise<HttpResult> {
  const fx = await startServer(opts);
  const connection = once(fx.engine, "connection") as Promise<[EngineSocket]>;
  const client = new PollingClient(fx.port);
  await client.handshake();
  const [socket] = await connection;
  socket.send(message);
  return client.get({ headers: acceptEncoding === undefined ? {} : { "Accept-Encoding": acceptEncoding } });
}

const BIG = "x".repeat(2000);

describe("httpCompression", () => {
  it("gzips a payload above the threshold for a client accepting gzip", async () => {
    const res = await pollWith({}, BIG, "gzip, deflate, br");
    expect(res.headers["content-encoding"]).toBe("gzip");
    expect(res.headers["vary"]).toBe("Accept-Encoding");
    expect(Number(res.headers["content-length"])).toBe(res.raw.length);
    expect(res.raw.length).toBeLessThan(BIG.length);
    expect(gunzipSync(res.raw).toString("utf8")).toBe(`4${BIG}`);
  });

  it("deflates for a client accepting only deflate", async () => {
    const res = await pollWith({}, BIG, "deflate");
    expect(res.headers["content-encoding"]).toBe("deflate");
    expect(inflateSync(res.raw).toString("utf8")).toBe(`4${BIG}`);
  });

  it("sends plain text below the threshold, to clients not accepting a coding, and when turned off", async () => {
    const small = await pollWith({}, "x".repeat(100), "gzip");
    expect(small.headers["content-encoding"]).toBeUndefined();
    expect(small.body).toBe(`4${"x".repeat(100)}`);
    const noAccept = await pollWith({}, BIG);
    expect(noAccept.headers["content-encoding"]).toBeUndefined();
    expect(noAccept.body).toBe(`4${BIG}`);
    const refused = await pollWith({}, BIG, "gzip;q=0, identity");
    expect(refused.headers["content-encoding"]).toBeUndefined();
    const off = await pollWith({ httpCompression: false }, BIG, "gzip");
    expect(off.headers["content-encoding"]).toBeUndefined();
    expect(off.headers["vary"]).toBeUndefined();
  });

  it("honours a custom threshold", async () => {
    const res = await pollWith({ httpCompression: { threshold: 10 } }, "y".repeat(20), "gzip");
    expect(res.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(res.raw).toString("utf8")).toBe(`4${"y".repeat(20)}`);
  });

  it("picks gzip, then deflate, from Accept-Encoding", () => {
    expect(pickCoding(undefined)).toBeNull();
    expect(pickCoding("")).toBeNull();
    expect(pickCoding("br")).toBeNull();
    expect(pickCoding("deflate, gzip")).toBe("gzip");
    expect(pickCoding("GZIP;q=0.5")).toBe("gzip");
    expect(pickCoding("gzip;q=0, deflate")).toBe("deflate");
    expect(pickCoding("*")).toBe("gzip");
  });
});
