/**
 * Replays a parsed transcript against a live server over raw WebSocket (`ws`) and raw HTTP
 * (`http.request`): strictly in order, each expected server line awaited (never a sleep) and
 * compared exactly after placeholder substitution.
 *
 * Ordering across connections: a `client:` HTTP request step completes once the server has
 * received the request (its http `request` event, observed in this process) or answered it, so a
 * following step on another connection cannot overtake it — that is what makes "a GET is pending,
 * then the upgrade probe arrives" replayable without sleeping.
 */
import http from "node:http";
import { HttpChannel, readBody, WsChannel, type Arrival } from "./channels.ts";
import type { Step, Transcript } from "./transcript-format.ts";
import { Placeholders } from "./placeholders.ts";

/** Request header carrying a request's id, so the runner can tell when the server has it. */
const REQUEST_ID_HEADER = "x-transcript-request";

/** What the runner needs from a started fixture. */
export interface LiveServer {
  port: number;
  http: http.Server;
}

/** A failed expectation, with where it is in the spec and what came instead. */
export class TranscriptMismatch extends Error {
  override readonly name = "TranscriptMismatch";
}

/**
 * Runs one transcript. Resolves when every step has happened as written; rejects with a
 * {@link TranscriptMismatch} naming the spec line otherwise.
 */
export class TranscriptRunner {
  private readonly ws = new Map<string, WsChannel>();
  private readonly httpChannels = new Map<string, HttpChannel>();
  private readonly placeholders = new Placeholders();
  /** Requests the server has received, by id, and the steps waiting for one. */
  private readonly seen = new Set<string>();
  private readonly seenWaiters = new Map<string, () => void>();
  private requestCount = 0;
  private currentWait: string | null = null;
  private readonly onRequest = (req: http.IncomingMessage): void => {
    const id = req.headers[REQUEST_ID_HEADER];
    if (typeof id !== "string") return;
    this.seen.add(id);
    this.seenWaiters.get(id)?.();
  };

  constructor(
    private readonly transcript: Transcript,
    private readonly server: LiveServer,
    private readonly signal: AbortSignal,
  ) {}

  /** Replays every step in order. */
  async run(): Promise<void> {
    this.server.http.on("request", this.onRequest);
    try {
      for (const step of this.transcript.steps) await this.step(step);
    } finally {
      this.server.http.off("request", this.onRequest);
      this.close();
    }
  }

  /** Drops every connection the transcript opened. */
  close(): void {
    for (const channel of this.ws.values()) channel.ws.terminate();
    for (const channel of this.httpChannels.values()) for (const req of channel.requests) req.destroy();
  }

  private async step(step: Step): Promise<void> {
    switch (step.kind) {
      case "ws-open": {
        const url = `ws://127.0.0.1:${this.server.port}${this.placeholders.fill(step.path)}`;
        this.ws.set(step.channel, new WsChannel(url));
        return;
      }
      case "http-request":
        return this.request(step);
      case "send-text":
        return this.wsChannel(step).send(this.placeholders.fill(step.text));
      case "send-binary":
        return this.wsChannel(step).send(step.bytes);
      case "expect-status":
      case "expect-text":
      case "expect-binary":
      case "expect-close":
        return this.expect(step);
    }
  }

  private async request(step: Extract<Step, { kind: "http-request" }>): Promise<void> {
    let channel = this.httpChannels.get(step.channel);
    if (channel === undefined) {
      channel = new HttpChannel();
      this.httpChannels.set(step.channel, channel);
    }
    const id = String(++this.requestCount);
    // [EIO4:polling-payload] A request body is the packets of the payload joined by the record separator.
    const body = this.placeholders.fill(step.body.join("\x1e"));
    const req = http.request({
      host: "127.0.0.1",
      port: this.server.port,
      method: step.method,
      path: this.placeholders.fill(step.path),
      agent: false,
      headers: { [REQUEST_ID_HEADER]: id, ...(step.body.length > 0 ? { "content-type": "text/plain;charset=UTF-8" } : {}) },
    });
    channel.requests.push(req);
    const answer = new Promise<Arrival>((resolve, reject) => {
      req.on("response", (res) => {
        readBody(res).then((text) => resolve({ kind: "status", status: res.statusCode ?? 0, body: text }), reject);
      });
      req.on("error", reject);
    });
    // Read in order later; a rejection surfaces when its status line is reached.
    answer.catch(() => {});
    channel.answers.push(answer);
    req.end(body);
    const received = new Promise<void>((resolve) => {
      if (this.seen.has(id)) resolve();
      else this.seenWaiters.set(id, resolve);
    });
    await this.guard(Promise.race([received, answer.then(() => undefined, () => undefined)]), step, "the server to receive the request");
    this.seenWaiters.delete(id);
  }

  private async expect(step: Extract<Step, { kind: `expect-${string}` }>): Promise<void> {
    const ws = this.ws.get(step.channel);
    let arrival: Arrival;
    if (ws !== undefined) {
      arrival = await this.guard(ws.inbox.next(), step, describeStep(step), ws.inbox.history);
    } else {
      const answer = this.httpChannels.get(step.channel)?.answers.shift();
      if (answer === undefined) throw this.mismatch(step, "no request is waiting for this answer");
      arrival = await this.guard(answer, step, describeStep(step));
    }
    const problem = this.compare(step, arrival);
    if (problem !== null) throw this.mismatch(step, problem, ws?.inbox.history);
  }

  /** null when the arrival is what the step expects; otherwise what went wrong. */
  private compare(step: Extract<Step, { kind: `expect-${string}` }>, got: Arrival): string | null {
    const shown = describeArrival(got);
    switch (step.kind) {
      case "expect-status": {
        if (got.kind !== "status") return `expected HTTP ${step.status}, got ${shown}`;
        if (got.status !== step.status) return `expected HTTP ${step.status}, got HTTP ${got.status} ${JSON.stringify(got.body)}`;
        const expected = step.body.join("\x1e");
        return this.placeholders.match(expected, got.body) ? null : `body: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got.body)}`;
      }
      case "expect-text":
        if (got.kind === "text" && this.placeholders.match(step.text, got.text)) return null;
        return `expected ${JSON.stringify(step.text)}, got ${shown}`;
      case "expect-binary":
        if (got.kind === "binary" && got.bytes.equals(step.bytes)) return null;
        return `expected binary ${hex(step.bytes)}, got ${shown}`;
      case "expect-close":
        if (got.kind === "close" && (step.code === undefined || step.code === got.code)) return null;
        return `expected the server to close${step.code === undefined ? "" : ` with ${step.code}`}, got ${shown}`;
    }
  }

  private wsChannel(step: Step): WsChannel {
    const channel = this.ws.get(step.channel);
    if (channel === undefined) throw this.mismatch(step, "no WebSocket on this connection");
    return channel;
  }

  /**
   * What the runner is blocked on right now, with the spec location and what the connection has
   * received — for a test that fails by timing out, whose own message would not say.
   */
  get waiting(): string | null {
    return this.currentWait;
  }

  /** Awaits `promise`, failing with the step's location when the test is aborted (its timeout). */
  private guard<T>(promise: Promise<T>, step: Step, waitingFor: string, history?: Arrival[]): Promise<T> {
    if (this.signal.aborted) return Promise.reject(this.mismatch(step, `aborted while waiting for ${waitingFor}`, history));
    this.currentWait = this.mismatch(step, `waiting for ${waitingFor}`, history).message;
    promise.then(
      () => (this.currentWait = null),
      () => (this.currentWait = null),
    );
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(this.mismatch(step, `still waiting for ${waitingFor} when the test timed out`, history));
      this.signal.addEventListener("abort", onAbort, { once: true });
      promise.then(
        (value) => {
          this.signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (err: unknown) => {
          this.signal.removeEventListener("abort", onAbort);
          reject(this.mismatch(step, `failed while waiting for ${waitingFor}: ${String(err)}`, history));
        },
      );
    });
  }

  private mismatch(step: Step, problem: string, history?: Arrival[]): TranscriptMismatch {
    const where = `${this.transcript.file}:${step.line}`;
    const seen = history === undefined ? "" : `\n  this connection received so far:\n${history.map((a) => `    ${describeArrival(a)}`).join("\n") || "    (nothing)"}`;
    return new TranscriptMismatch(`${where} ${this.transcript.tag}: ${problem}${seen}`);
  }
}

function describeStep(step: Step): string {
  switch (step.kind) {
    case "expect-status":
      return `HTTP ${step.status}`;
    case "expect-text":
      return JSON.stringify(step.text);
    case "expect-binary":
      return `binary ${hex(step.bytes)}`;
    case "expect-close":
      return "the server to close";
    default:
      return step.kind;
  }
}

function describeArrival(a: Arrival): string {
  switch (a.kind) {
    case "status":
      return `HTTP ${a.status}${a.body === "" ? "" : ` ${JSON.stringify(a.body)}`}`;
    case "text":
      return `text ${JSON.stringify(a.text)}`;
    case "binary":
      return `binary ${hex(a.bytes)}`;
    case "close":
      return `close (code ${a.code})`;
  }
}

function hex(bytes: Buffer): string {
  return bytes.toString("hex").replace(/(..)(?!$)/g, "$1 ");
}
