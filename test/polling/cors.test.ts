/**
 * [EIO4:cors] CORS on the engine's HTTP requests, over raw HTTP: every origin form, preflight,
 * credentials, allowed/exposed headers, maxAge, and the headers on refusals.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { CorsOptions } from "../../src/transport/index.ts";
import { CorsPolicy } from "../../src/transport/index.ts";
import { cleanup, startServer } from "../transport/helpers.ts";
import { PollingClient, request } from "./helpers.ts";
import type { HttpResult } from "./helpers.ts";

afterEach(cleanup);

const HANDSHAKE = "/engine.io/?EIO=4&transport=polling";

async function handshakeFrom(cors: CorsOptions | false, origin: string | undefined): Promise<HttpResult> {
  const fx = await startServer({ cors });
  return request(fx.port, HANDSHAKE, { headers: origin === undefined ? {} : { Origin: origin } });
}

describe("CORS origin forms", () => {
  it("sends no CORS headers when cors is not configured", async () => {
    const res = await handshakeFrom(false, "https://a.example");
    expect(res.status).toBe(200);
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("allows any origin with '*' (the default origin), without Vary", async () => {
    const res = await handshakeFrom({}, "https://a.example");
    expect(res.headers["access-control-allow-origin"]).toBe("*");
    expect(res.headers["vary"]).toBe("Accept-Encoding");
  });

  it("sends a fixed string origin whatever the request's origin", async () => {
    const ok = await handshakeFrom({ origin: "https://a.example" }, "https://a.example");
    expect(ok.headers["access-control-allow-origin"]).toBe("https://a.example");
    expect(ok.headers["vary"]).toBe("Origin, Accept-Encoding");
    const other = await handshakeFrom({ origin: "https://a.example" }, "https://evil.example");
    expect(other.headers["access-control-allow-origin"]).toBe("https://a.example");
  });

  it("reflects an origin matching an array of strings and RegExps, and leaves others without the header", async () => {
    const cors: CorsOptions = { origin: ["https://a.example", /^https:\/\/[a-z]+\.b\.example$/] };
    expect((await handshakeFrom(cors, "https://a.example")).headers["access-control-allow-origin"]).toBe("https://a.example");
    expect((await handshakeFrom(cors, "https://x.b.example")).headers["access-control-allow-origin"]).toBe("https://x.b.example");
    const refused = await handshakeFrom(cors, "https://evil.example");
    expect(refused.headers["access-control-allow-origin"]).toBeUndefined();
    expect(refused.headers["vary"]).toBe("Origin, Accept-Encoding");
    // The request itself is still answered: the browser is what refuses to hand it to the page.
    expect(refused.status).toBe(200);
  });

  it("reflects a single RegExp match, even a global one, on every request", async () => {
    const cors: CorsOptions = { origin: /\.example$/g };
    for (let i = 0; i < 3; i++) {
      expect((await handshakeFrom(cors, "https://a.example")).headers["access-control-allow-origin"]).toBe("https://a.example");
    }
  });

  it("reflects any origin with true, and none when the request has no Origin", async () => {
    expect((await handshakeFrom({ origin: true }, "https://z.example")).headers["access-control-allow-origin"]).toBe("https://z.example");
    expect((await handshakeFrom({ origin: true }, undefined)).headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("asks a function, which may answer asynchronously, and treats its error as a refusal", async () => {
    const seen: Array<string | undefined> = [];
    const cors: CorsOptions = {
      origin: (origin, cb) => {
        seen.push(origin);
        if (origin === "https://boom.example") queueMicrotask(() => cb(new Error("nope")));
        else queueMicrotask(() => cb(null, origin === "https://good.example"));
      },
    };
    const fx = await startServer({ cors });
    const good = await request(fx.port, HANDSHAKE, { headers: { Origin: "https://good.example" } });
    const bad = await request(fx.port, HANDSHAKE, { headers: { Origin: "https://bad.example" } });
    const boom = await request(fx.port, HANDSHAKE, { headers: { Origin: "https://boom.example" } });
    expect(good.headers["access-control-allow-origin"]).toBe("https://good.example");
    expect(bad.headers["access-control-allow-origin"]).toBeUndefined();
    expect(boom.headers["access-control-allow-origin"]).toBeUndefined();
    expect([good.status, bad.status, boom.status]).toEqual([200, 200, 200]);
    expect(seen).toEqual(["https://good.example", "https://bad.example", "https://boom.example"]);
  });
});

describe("CORS credentials, headers and preflight", () => {
  it("adds Allow-Credentials and Expose-Headers to actual requests, session requests included", async () => {
    const fx = await startServer({ cors: { origin: "https://a.example", credentials: true, exposedHeaders: ["X-One", "X-Two"] } });
    const client = new PollingClient(fx.port);
    const handshake = await client.handshake({ headers: { Origin: "https://a.example" } });
    expect(handshake.headers["access-control-allow-credentials"]).toBe("true");
    expect(handshake.headers["access-control-expose-headers"]).toBe("X-One,X-Two");
    const post = await request(fx.port, client.url(), { method: "POST", body: "4x", headers: { Origin: "https://a.example" } });
    expect(post.status).toBe(200);
    expect(post.headers["access-control-allow-origin"]).toBe("https://a.example");
    expect(post.headers["access-control-allow-credentials"]).toBe("true");
  });

  it("answers a preflight OPTIONS with 204, methods, reflected request headers and max age", async () => {
    const fx = await startServer({ cors: { origin: true, credentials: true, maxAge: 600, methods: ["GET", "POST"] } });
    const res = await request(fx.port, HANDSHAKE, {
      method: "OPTIONS",
      headers: { Origin: "https://a.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-custom, content-type" },
    });
    expect(res.status).toBe(204);
    expect(res.body).toBe("");
    expect(res.headers["access-control-allow-origin"]).toBe("https://a.example");
    expect(res.headers["access-control-allow-credentials"]).toBe("true");
    expect(res.headers["access-control-allow-methods"]).toBe("GET,POST");
    expect(res.headers["access-control-allow-headers"]).toBe("x-custom, content-type");
    expect(res.headers["access-control-max-age"]).toBe("600");
    expect(res.headers["vary"]).toBe("Origin, Access-Control-Request-Headers");
  });

  it("announces configured allowedHeaders and the default methods in a preflight", async () => {
    const fx = await startServer({ cors: { allowedHeaders: ["X-Token"] } });
    const res = await request(fx.port, `${HANDSHAKE}&sid=whatever`, {
      method: "OPTIONS",
      headers: { Origin: "https://a.example", "Access-Control-Request-Headers": "x-other" },
    });
    expect(res.status).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBe("*");
    expect(res.headers["access-control-allow-methods"]).toBe("GET,HEAD,PUT,PATCH,POST,DELETE");
    expect(res.headers["access-control-allow-headers"]).toBe("X-Token");
    expect(res.headers["access-control-max-age"]).toBeUndefined();
  });

  it("answers a preflight from a refused origin with 204 and no Allow headers", async () => {
    const fx = await startServer({ cors: { origin: ["https://a.example"] } });
    const res = await request(fx.port, HANDSHAKE, { method: "OPTIONS", headers: { Origin: "https://evil.example" } });
    expect(res.status).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
    expect(res.headers["access-control-allow-methods"]).toBeUndefined();
  });

  it("puts the CORS headers on refusals too, so a page can read the error", async () => {
    const fx = await startServer({ cors: { origin: "https://a.example" } });
    const res = await request(fx.port, "/engine.io/?EIO=3&transport=polling", { headers: { Origin: "https://a.example" } });
    expect(res.status).toBe(400);
    expect(res.body).toBe('{"code":5,"message":"Unsupported protocol version"}');
    expect(res.headers["access-control-allow-origin"]).toBe("https://a.example");
  });

  it("refuses nonsense options at construction", () => {
    const bad: unknown[] = [{ origin: 42 }, { methods: ["GET", 1] }, { maxAge: -1 }, { credentials: "yes" }, { origin: "a\r\nb" }];
    for (const opts of bad) expect(() => new CorsPolicy(opts as CorsOptions)).toThrow(TypeError);
  });
});
