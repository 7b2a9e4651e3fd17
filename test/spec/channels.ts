/**
 * The client ends of a transcript's connections: a raw WebSocket whose handshake status, frames
 * and close land in one ordered inbox, and an HTTP connection whose answers are read in request order.
 */
import type http from "node:http";
import WebSocket from "ws";

/** Something a connection delivered, in arrival order. */
export type Arrival =
  | { kind: "status"; status: number; body: string }
  | { kind: "text"; text: string }
  | { kind: "binary"; bytes: Buffer }
  | { kind: "close"; code: number };

/** An ordered inbox: arrivals queue up until a step takes them, or wake the step waiting. */
export class Inbox {
  readonly history: Arrival[] = [];
  private readonly queue: Arrival[] = [];
  private waiter: ((a: Arrival) => void) | null = null;

  push(arrival: Arrival): void {
    this.history.push(arrival);
    const waiter = this.waiter;
    if (waiter === null) this.queue.push(arrival);
    else {
      this.waiter = null;
      waiter(arrival);
    }
  }

  next(): Promise<Arrival> {
    const first = this.queue.shift();
    if (first !== undefined) return Promise.resolve(first);
    return new Promise((resolve) => (this.waiter = resolve));
  }
}

/** A client WebSocket whose status, frames and close all land in one ordered inbox. */
export class WsChannel {
  readonly inbox = new Inbox();
  readonly ws: WebSocket;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    // The 101 is reported on 'open' (not 'upgrade') so that a send right after it is legal.
    this.ws.on("open", () => this.inbox.push({ kind: "status", status: 101, body: "" }));
    this.ws.on("unexpected-response", (req, res) => {
      readBody(res).then(
        (body) => {
          this.inbox.push({ kind: "status", status: res.statusCode ?? 0, body });
          req.destroy();
        },
        () => req.destroy(),
      );
    });
    this.ws.on("message", (data: WebSocket.RawData, isBinary: boolean) => {
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      this.inbox.push(isBinary ? { kind: "binary", bytes } : { kind: "text", text: bytes.toString("utf8") });
    });
    this.ws.on("close", (code: number) => this.inbox.push({ kind: "close", code }));
    // A reset after the server closed is expected in some transcripts; the close event reports it.
    this.ws.on("error", () => {});
  }

  send(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.ws.send(data, { binary: typeof data !== "string" }, (err) => (err ? reject(err) : resolve())),
    );
  }
}

/** A client that sends HTTP requests; their answers are read in the order the requests were sent. */
export class HttpChannel {
  readonly answers: Array<Promise<Arrival>> = [];
  readonly requests: http.ClientRequest[] = [];
}

/** The whole body of a response, as UTF-8 text. */
export function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (c: Buffer) => chunks.push(c));
    res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.on("error", reject);
  });
}
