/**
 * Shared fixtures for the transport tests: a real http server on 127.0.0.1:0 with an attached
 * EngineServer, real `ws` clients, and a hand-made upgrade request for refusals.
 * Everything is awaited through events; nothing sleeps.
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket } from "ws";
import { EngineServer } from "../../src/transport/index.ts";
import type { EngineOptions, EngineSocket } from "../../src/transport/index.ts";

/** A running http server with an engine attached. */
export interface Fixture {
  http: http.Server;
  engine: EngineServer;
  port: number;
  /** WebSocket URL of the engine with the given query (default: a valid handshake). */
  wsUrl(query?: string): string;
}

const cleanups: Array<() => Promise<void> | void> = [];

/** Runs (in reverse order) everything registered by the fixtures; call from afterEach. */
export async function cleanup(): Promise<void> {
  while (cleanups.length > 0) {
    const fn = cleanups.pop();
    if (fn !== undefined) await fn();
  }
}

/**
 * Starts an http server (with an optional user request handler) and attaches an engine.
 */
export async function startServer(
  opts: Partial<EngineOptions> = {},
  userHandler?: http.RequestListener,
): Promise<Fixture> {
  const server = userHandler === undefined ? http.createServer() : http.createServer(userHandler);
  const engine = new EngineServer(opts).attach(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  cleanups.push(async () => {
    engine.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const path = engine.opts.path.endsWith("/") ? engine.opts.path : `${engine.opts.path}/`;
  return {
    http: server,
    engine,
    port,
    wsUrl: (query = "EIO=4&transport=websocket") => `ws://127.0.0.1:${port}${path}?${query}`,
  };
}

/** A received WebSocket message. */
export interface Frame {
  data: string | Buffer;
  isBinary: boolean;
}

/** A `ws` client that queues what it receives so tests can await frames one by one. */
export class TestClient {
  readonly ws: WebSocket;
  readonly closed: Promise<[code: number, reason: Buffer]>;
  readonly errors: Error[] = [];
  private readonly frames: Frame[] = [];
  private readonly waiters: Array<(f: Frame) => void> = [];

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.closed = new Promise((resolve) => this.ws.once("close", (code, reason) => resolve([code, reason])));
    // Client-side errors (e.g. a reset after the server closed) are expected in some tests;
    // unhandled they would throw.
    this.ws.on("error", (err) => this.errors.push(err));
    this.ws.on("message", (data, isBinary) => {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      const frame: Frame = { data: isBinary ? buf : buf.toString("utf8"), isBinary };
      const waiter = this.waiters.shift();
      if (waiter !== undefined) waiter(frame);
      else this.frames.push(frame);
    });
    cleanups.push(() => {
      this.ws.terminate();
    });
  }

  /** The next frame received. */
  next(): Promise<Frame> {
    const frame = this.frames.shift();
    if (frame !== undefined) return Promise.resolve(frame);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The next frame, which must be text. */
  async nextText(): Promise<string> {
    const frame = await this.next();
    if (typeof frame.data !== "string") throw new Error("expected a text frame");
    return frame.data;
  }

  send(data: string | Buffer): void {
    this.ws.send(data);
  }
}

/**
 * Connects a client and resolves once both sides are open: the client has the open packet and
 * the server has emitted `connection`.
 */
export async function connect(fx: Fixture, url = fx.wsUrl()): Promise<{ client: TestClient; socket: EngineSocket; open: string }> {
  const connection = once(fx.engine, "connection") as Promise<[EngineSocket]>;
  const client = new TestClient(url);
  const [[socket], open] = await Promise.all([connection, client.nextText()]);
  return { client, socket, open };
}

/** What a refused upgrade request got back. */
export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Sends a WebSocket upgrade request by hand and reads the (non-101) answer. */
export function rawUpgrade(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: "127.0.0.1",
      port,
      path,
      method: opts.method ?? "GET",
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
        ...opts.headers,
      },
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("upgrade", (_res, socket) => {
      socket.destroy();
      reject(new Error("unexpected successful upgrade"));
    });
    req.on("error", reject);
    req.end();
  });
}

/** A plain HTTP GET. */
export function httpGet(port: number, path: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

/**
 * Resolves with the reason of the socket's `close` event. (Not `events.once`: it would add an
 * 'error' listener, which changes what the socket emits.)
 */
export function closeReason(socket: EngineSocket): Promise<string> {
  if (socket.readyState === "closed") return Promise.reject(new Error("socket already closed"));
  return new Promise((resolve) => socket.once("close", (reason) => resolve(reason)));
}
