/**
 * `serveClient` (default true): the browser client under the server's path, and the engine
 * answering every URL under its path. Most checks run against socket.io 4.8 as well, so the
 * two are held to the same answers.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import { Server as SocketIoServer } from "socket.io";
import { afterEach, describe, expect, it } from "vitest";
import { CLIENT_FILES, negotiateCoding, sharedClientBundle } from "../../src/transport/client-bundle.ts";
import { Server } from "../support/server.ts";
import { cleanup, closeHttp, listen, onCleanup } from "../support/harness.ts";
import { request } from "../polling/helpers.ts";

afterEach(cleanup);

const require = createRequire(import.meta.url);
const clientManifest = require.resolve("socket.io-client/package.json");
const CLIENT_DIR = join(dirname(clientManifest), "dist");
const CLIENT_VERSION = (JSON.parse(readFileSync(clientManifest, "utf8")) as { version: string }).version;

type Options = { serveClient?: boolean; cors?: { origin: string } };
const implementations = [
  ["roomcast", (srv: http.Server, opts: Options) => new Server(srv, opts)],
  ["socket.io", (srv: http.Server, opts: Options) => new SocketIoServer(srv, opts)],
] as const;

/** A bare `http.createServer()` (no request listener) with the server attached; its port. */
async function bare(make: (srv: http.Server, opts: Options) => { close(): Promise<void> }, opts: Options = {}): Promise<number> {
  const httpServer = http.createServer();
  const io = make(httpServer, opts);
  const port = await listen(httpServer);
  onCleanup(async () => {
    await io.close();
    await closeHttp(httpServer);
  });
  return port;
}

describe.each(implementations)("%s on a bare http server", (_name, make) => {
  it("serves /socket.io/socket.io.js with ETag, Cache-Control and a JavaScript type", async () => {
    const port = await bare(make);
    const res = await request(port, "/socket.io/socket.io.js");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/javascript; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("public, max-age=0");
    expect(res.headers["etag"]).toMatch(/^"\d+\.\d+\.\d+"$/);
    expect(res.body).toContain("io");
    const again = await request(port, "/socket.io/socket.io.js", { headers: { "if-none-match": String(res.headers["etag"]) } });
    expect([again.status, again.body]).toEqual([304, ""]);
    const weak = await request(port, "/socket.io/socket.io.js", { headers: { "if-none-match": `W/${String(res.headers["etag"])}` } });
    expect(weak.status).toBe(304);
  });

  it("serves every bundle and source map, maps as JSON", async () => {
    const port = await bare(make);
    for (const file of CLIENT_FILES) {
      const res = await request(port, `/socket.io/${file}?v=1`);
      expect([file, res.status]).toEqual([file, 200]);
      expect(res.headers["content-type"]).toBe(`application/${file.endsWith(".map") ? "json" : "javascript"}; charset=utf-8`);
    }
  });

  it("compresses with gzip, br or deflate as the client accepts", async () => {
    const port = await bare(make);
    for (const [coding, inflate] of [["gzip", gunzipSync], ["br", brotliDecompressSync], ["deflate", inflateSync]] as const) {
      const res = await request(port, "/socket.io/socket.io.min.js", { headers: { "accept-encoding": coding } });
      expect(res.headers["content-encoding"]).toBe(coding);
      expect(inflate(res.raw).toString("utf8")).toContain("io");
    }
  });

  it("adds the CORS headers of the cors option to the client files", async () => {
    const port = await bare(make, { cors: { origin: "http://app.example" } });
    const res = await request(port, "/socket.io/socket.io.js", { headers: { origin: "http://app.example" } });
    expect(res.headers["access-control-allow-origin"]).toBe("http://app.example");
  });

  it("answers the handshake under any URL below the path, with CORS headers", async () => {
    const port = await bare(make, { cors: { origin: "http://app.example" } });
    const res = await request(port, "/socket.io/default/?EIO=4&transport=polling", { headers: { origin: "http://app.example" } });
    expect(res.status).toBe(200);
    expect(res.body.startsWith('0{"sid":')).toBe(true);
    expect(res.headers["access-control-allow-origin"]).toBe("http://app.example");
  });

  it("answers unknown files under the path with 400 Transport unknown", async () => {
    const port = await bare(make);
    for (const path of ["/socket.io/unknown.js", "/socket.io/foo/bar", "/socket.io/"]) {
      const res = await request(port, path);
      expect([path, res.status, res.body]).toEqual([path, 400, '{"code":0,"message":"Transport unknown"}']);
    }
  });

  it("does not serve the client with serveClient: false", async () => {
    const port = await bare(make, { serveClient: false });
    const res = await request(port, "/socket.io/socket.io.js");
    expect([res.status, res.body]).toEqual([400, '{"code":0,"message":"Transport unknown"}']);
  });
});

describe("roomcast's client files", () => {
  it("are the installed socket.io-client's, byte for byte, with its version as ETag", async () => {
    const port = await bare(implementations[0][1]);
    for (const file of ["socket.io.js", "socket.io.msgpack.min.js", "socket.io.esm.min.js.map"]) {
      const res = await request(port, `/socket.io/${file}`);
      expect(res.raw.equals(readFileSync(join(CLIENT_DIR, file)))).toBe(true);
      expect(res.headers["content-length"]).toBe(String(res.raw.length));
      expect(res.headers["etag"]).toBe(`"${CLIENT_VERSION}"`);
    }
    const br = await request(port, "/socket.io/socket.io.js", { headers: { "accept-encoding": "br" } });
    expect(brotliDecompressSync(br.raw).equals(readFileSync(join(CLIENT_DIR, "socket.io.js")))).toBe(true);
  });

  it("answers HEAD without a body, and leaves other methods to the engine", async () => {
    const port = await bare(implementations[0][1]);
    const head = await request(port, "/socket.io/socket.io.js", { method: "HEAD" });
    expect([head.status, head.body]).toEqual([200, ""]);
    expect(Number(head.headers["content-length"])).toBeGreaterThan(1000);
    expect((await request(port, "/socket.io/socket.io.js", { method: "DELETE" })).status).toBe(400);
  });

  it("follow a custom path, and io.serveClient() reads and sets the option", async () => {
    const httpServer = http.createServer();
    const io = new Server(httpServer, { path: "/rt/" });
    expect(io.serveClient()).toBe(true);
    const port = await listen(httpServer);
    onCleanup(async () => {
      await io.close();
      await closeHttp(httpServer);
    });
    expect((await request(port, "/rt/socket.io.js")).status).toBe(200);
    io.serveClient(false);
    expect((await request(port, "/rt/socket.io.js")).status).toBe(400);
  });

  it("picks the coding the client ranks highest", () => {
    expect(negotiateCoding(undefined)).toBe("identity");
    expect(negotiateCoding("gzip, deflate, br")).toBe("gzip");
    expect(negotiateCoding("gzip;q=0.5, br")).toBe("br");
    expect(negotiateCoding("br;q=0, gzip;q=0")).toBe("identity");
    expect(negotiateCoding("identity, zstd")).toBe("identity");
    expect(negotiateCoding("*")).toBe("gzip");
  });

  it("warns once when serveClient is on and socket.io-client is missing", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on("warning", onWarning);
    try {
      expect(sharedClientBundle("roomcast-no-such-client")).toBeNull();
      expect(sharedClientBundle("roomcast-no-such-client")).toBeNull();
      await new Promise<void>((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).toHaveLength(1);
    expect((warnings[0] as Error & { code?: string }).code).toBe("ROOMCAST_NO_CLIENT_BUNDLE");
    expect(warnings[0]?.message).toMatch(/socket\.io-client|serveClient/);
  });
});
