/**
 * Raw HTTP long-polling helpers: a hand-driven Engine.IO v4 polling client over `http.request`,
 * for the wire rules the official client would never break. Servers come from
 * ../transport/helpers.ts (an EngineServer on 127.0.0.1:0); everything is awaited through events.
 */
import http from "node:http";
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { EngineServer } from "../../src/transport/index.ts";

/** A complete HTTP response. */
export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as received (possibly compressed). */
  raw: Buffer;
  /** The body as UTF-8 text. */
  body: string;
}

/** What a request sends. */
export interface RequestInit {
  method?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
}

/** One HTTP request on a fresh connection (no keep-alive pool, so requests never queue behind a held poll). */
export function request(port: number, path: string, init: RequestInit = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, method: init.method ?? "GET", headers: init.headers, agent: false });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const raw = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, body: raw.toString("utf8") });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

/** The Engine.IO open packet's JSON. */
export interface OpenPayload {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
}

/** A hand-driven polling session: handshake, then GET/POST with its sid. */
export class PollingClient {
  readonly port: number;
  readonly path: string;
  sid = "";
  open: OpenPayload | undefined;

  constructor(port: number, path = "/engine.io/") {
    this.port = port;
    this.path = path;
  }

  /** URL of this session's requests (or of a handshake before it has a sid). */
  url(extra = ""): string {
    const sid = this.sid === "" ? "" : `&sid=${this.sid}`;
    return `${this.path}?EIO=4&transport=polling${sid}${extra}`;
  }

  /** Performs the handshake GET; returns its response. */
  async handshake(init: RequestInit = {}): Promise<HttpResult> {
    const res = await request(this.port, this.url(), init);
    if (res.status !== 200 || !res.body.startsWith("0")) throw new Error(`handshake failed: ${res.status} ${res.body}`);
    this.open = JSON.parse(res.body.slice(1)) as OpenPayload;
    this.sid = this.open.sid;
    return res;
  }

  /** A GET (poll). */
  get(init: RequestInit = {}): Promise<HttpResult> {
    return request(this.port, this.url(), init);
  }

  /** A POST carrying `body` (text/plain by default, as the official client sends it). */
  post(body: string | Buffer, headers: Record<string, string | number> = { "Content-Type": "text/plain;charset=UTF-8" }): Promise<HttpResult> {
    return request(this.port, this.url(), { method: "POST", body, headers });
  }
}

/**
 * Resolves once the engine has taken a request matching `pred` (its `headers` event fires just
 * before the request is handed to the session's transport, in the same tick, so by the time
 * this promise's continuation runs the request is registered).
 */
export function requestTaken(engine: EngineServer, pred: (req: IncomingMessage) => boolean): Promise<IncomingMessage> {
  return new Promise((resolve) => {
    const listener = (_headers: unknown, req: IncomingMessage): void => {
      if (!pred(req)) return;
      engine.off("headers", listener);
      resolve(req);
    };
    engine.on("headers", listener);
  });
}

/**
 * Sends a GET and resolves once the server holds it as the session's pending poll. The response
 * is wrapped (not returned) so that awaiting this does not also await the answer.
 */
export async function pendingGet(engine: EngineServer, client: PollingClient): Promise<{ response: Promise<HttpResult> }> {
  const taken = requestTaken(engine, (req) => req.method === "GET" && req.url?.includes(`sid=${client.sid}`) === true);
  const response = client.get();
  await taken;
  return { response };
}

/** Splits a polling payload into its packets. */
export function packets(payload: string): string[] {
  return payload.split("\x1e");
}
