/**
 * One load-test client: a Socket.IO v5 session over a {@link Transport}, driven by hand so a
 * single process can hold tens of thousands (the official client costs far more CPU per
 * socket). Stages: Engine.IO open → namespace CONNECT → optional join (an event with an ack)
 * → ready. Pings are answered; events carrying a load-test stamp go to the sink.
 */
import type { Transport, TransportSink, TransportTarget } from "./transport.ts";
import { openPolling, openWebSocket } from "./transport.ts";
import { EIO, SIO, connectPacket, eventPacket, packetData, readSioHeader } from "./wire.ts";

/** Why a client did not get to (or left) the ready stage; the report counts each kind. */
export type FailureKind =
  | "refused"
  | "timeout"
  | "dns"
  | "no local port"
  | "out of file descriptors"
  | "reset"
  | "http error"
  | "connect_error"
  | "join refused"
  | "protocol"
  | "disconnected"
  | "other";

/** How every client of a run connects and joins. */
export interface ClientConfig {
  target: TransportTarget;
  transport: "websocket" | "polling";
  nsp: string;
  auth: object | undefined;
  /** The join event's name, or undefined to only connect. */
  joinEvent: string | undefined;
  /** Whether the join asks for an ack and waits for it. */
  joinAck: boolean;
  /** Open + CONNECT + join must finish within this, in ms. */
  setupTimeoutMs: number;
}

/** What a client reports to the run. */
export interface ClientSink {
  /** The namespace CONNECT was answered, `ms` after the client started. */
  onConnected(client: LoadClient, ms: number): void;
  /** The join was acknowledged (or sent, without acks), `ms` after CONNECT. */
  onJoined(client: LoadClient, ms: number): void;
  /** The client is connected (and joined, if there is a join): it may send and receive. */
  onReady(client: LoadClient): void;
  /** The client will never be ready: it failed at `stage`. */
  onFailed(client: LoadClient, kind: FailureKind, message: string): void;
  /** A ready client lost its connection without being asked to close. */
  onDropped(client: LoadClient, message: string): void;
  /** An EVENT packet reached a ready client. */
  onEvent(client: LoadClient, packet: string): void;
}

type Stage = "opening" | "connecting" | "joining" | "ready" | "failed" | "closed";

/** Maps a socket or HTTP error to a failure kind for the report. */
export function classify(err: Error): FailureKind {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ECONNREFUSED") return "refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "dns";
  if (code === "EADDRNOTAVAIL") return "no local port";
  if (code === "EMFILE" || code === "ENFILE") return "out of file descriptors";
  if (code === "ECONNRESET" || code === "EPIPE") return "reset";
  if (code === "ETIMEDOUT" || /timed? ?out|no answer/i.test(err.message)) return "timeout";
  if (/Unexpected server response/.test(err.message)) return "http error";
  return "other";
}

/** An error's message; a connection tried on several addresses (localhost: ::1 and 127.0.0.1) fails with an AggregateError of each. */
function describe(err: Error): string {
  if (err.message !== "") return err.message;
  const inner = (err as Partial<AggregateError>).errors;
  return Array.isArray(inner) && inner.length > 0 ? inner.map((e: Error) => e.message).join("; ") : String(err);
}

/** A raw Socket.IO client for the load test. */
export class LoadClient {
  readonly index: number;
  /** The room this client joins, or undefined. */
  readonly room: string | undefined;
  stage: Stage = "opening";
  private readonly config: ClientConfig;
  private readonly sink: ClientSink;
  private transport: Transport | undefined;
  private startedAt = 0;
  private connectedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly joinAckId = 0;

  constructor(index: number, room: string | undefined, config: ClientConfig, sink: ClientSink) {
    this.index = index;
    this.room = room;
    this.config = config;
    this.sink = sink;
  }

  /** Opens the connection; the sink hears of the outcome. */
  start(): void {
    this.startedAt = performance.now();
    this.timer = setTimeout(() => this.fail("timeout", `no ${this.stage === "joining" ? "join ack" : "connection"} within ${this.config.setupTimeoutMs} ms`), this.config.setupTimeoutMs);
    const sink: TransportSink = {
      onPacket: (packet) => this.onPacket(packet),
      onClose: (error) => this.onTransportClose(error),
    };
    const open = this.config.transport === "polling" ? openPolling : openWebSocket;
    this.transport = open(this.config.target, sink);
  }

  /** Sends an event (no ack asked) if the client is ready. */
  emit(event: string, ...args: unknown[]): void {
    if (this.stage === "ready") this.transport?.send(eventPacket(this.config.nsp, [event, ...args]));
  }

  /**
   * Closes the connection (bounded by `graceMs`); the sink hears nothing more. Resolves with
   * "clean" when a ready client's close was answered in time, "cut" when it was not, and
   * "not open" for a client that was not ready (failed, or still connecting).
   */
  async close(graceMs: number): Promise<"clean" | "cut" | "not open"> {
    const wasReady = this.stage === "ready";
    this.closing = true;
    clearTimeout(this.timer);
    if (this.stage !== "failed") this.stage = "closed";
    const polite = (await this.transport?.close(graceMs)) ?? false;
    if (!wasReady) return "not open";
    return polite ? "clean" : "cut";
  }

  private onPacket(packet: string): void {
    const kind = packet[0];
    if (kind === EIO.ping) return this.transport?.send(EIO.pong); // [EIO4:heartbeat]
    if (kind === EIO.open) {
      if (this.stage !== "opening") return;
      this.stage = "connecting";
      this.transport?.send(connectPacket(this.config.nsp, this.config.auth));
      return;
    }
    if (kind !== EIO.message) return; // noop, pong, upgrade probes: nothing to do
    const header = readSioHeader(packet);
    if (header === undefined || header.nsp !== this.config.nsp) return;
    switch (header.type) {
      case SIO.event:
      case SIO.binaryEvent:
        if (this.stage === "ready") this.sink.onEvent(this, packet);
        return;
      case SIO.connect:
        return this.onConnect();
      case SIO.connectError: {
        const data = packetData(packet, header) as { message?: unknown } | undefined;
        return this.fail("connect_error", String(data?.message ?? packet.slice(header.dataAt, header.dataAt + 80)));
      }
      case SIO.ack:
        if (this.stage === "joining" && header.id === this.joinAckId) this.onJoinAck(packetData(packet, header));
        return;
      case SIO.disconnect:
        // [SIO5:disconnect]: the server ended this namespace session.
        if (this.stage === "ready") return this.drop("the server disconnected the socket");
        return this.fail("disconnected", "the server disconnected the socket before it was ready");
    }
  }

  private onConnect(): void {
    if (this.stage !== "connecting") return;
    this.connectedAt = performance.now();
    this.sink.onConnected(this, this.connectedAt - this.startedAt);
    const { joinEvent, joinAck, nsp } = this.config;
    if (joinEvent === undefined || this.room === undefined) return this.becomeReady();
    this.stage = "joining";
    this.transport?.send(eventPacket(nsp, [joinEvent, this.room], joinAck ? this.joinAckId : undefined));
    if (!joinAck) this.onJoined();
  }

  private onJoinAck(data: unknown): void {
    // A reply `{ error }` (the chat demo's refusal) means the server refused the join.
    const reply = Array.isArray(data) ? (data[0] as { error?: unknown } | null | undefined) : undefined;
    if (reply !== null && typeof reply === "object" && reply.error !== undefined) {
      return this.fail("join refused", String(reply.error).slice(0, 120));
    }
    this.onJoined();
  }

  private onJoined(): void {
    this.sink.onJoined(this, performance.now() - this.connectedAt);
    this.becomeReady();
  }

  private becomeReady(): void {
    clearTimeout(this.timer);
    this.stage = "ready";
    this.sink.onReady(this);
  }

  private onTransportClose(error: Error | undefined): void {
    if (this.closing) return;
    if (this.stage === "ready") return this.drop(`connection lost${error ? `: ${error.message}` : ""}`);
    if (error !== undefined) return this.fail(classify(error), describe(error));
    this.fail("disconnected", "the server closed the connection before the socket was ready");
  }

  private fail(kind: FailureKind, message: string): void {
    if (this.stage === "failed" || this.stage === "closed" || this.stage === "ready") return;
    this.stage = "failed";
    clearTimeout(this.timer);
    this.sink.onFailed(this, kind, message);
    void this.transport?.close(0);
  }

  private drop(message: string): void {
    if (this.stage !== "ready") return;
    this.stage = "failed";
    this.sink.onDropped(this, message);
    void this.transport?.close(0);
  }
}
