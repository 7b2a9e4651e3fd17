/**
 * One Engine.IO session: the handshake, the heartbeat, the write buffer and the close reason.
 *
 * The session is independent of the transport carrying it (see {@link Transport}), so a later
 * polling → websocket upgrade only swaps `transport` and keeps the sid, timers and buffer.
 */
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import type { EngineOptions, TransportName } from "./options.ts";
import type { EnginePacket, EnginePacketType, Transport } from "./transport.ts";

/** Lifecycle of a session. A session is never reopened once `"closed"`. */
export type EngineSocketState = "opening" | "open" | "closing" | "closed";

/** Why a session closed, as given to the `close` event. */
export type CloseReason =
  /** The client closed: an Engine.IO `1` packet, or the connection went away. */
  | "transport close"
  /** The connection failed (socket error, message above maxHttpBufferSize, invalid UTF-8...). */
  | "transport error"
  /** No pong within pingTimeout of a ping. */
  | "ping timeout"
  /** The client sent a packet that does not decode. */
  | "parse error"
  /** {@link EngineSocket.close} was called. */
  | "forced close"
  /** The server was closed. */
  | "server shutting down";

/** Events of an {@link EngineSocket}, as a listener-argument map. */
export type EngineSocketEvents = {
  /** A message from the client: text as a string, binary as a Buffer. */
  message: [data: string | Buffer];
  /** Any packet received (before it is acted on). */
  packet: [packet: EnginePacket];
  /** A packet was queued for sending (before it is buffered). */
  packetCreate: [packet: EnginePacket];
  /** The client showed it is alive (a pong, or a ping of its own). */
  heartbeat: [];
  /** The buffered packets are about to be handed to the transport. */
  flush: [packets: EnginePacket[]];
  /** Everything sent has been written and nothing is buffered. */
  drain: [];
  /** The transport failed; emitted only if someone listens (a `close` always follows). */
  error: [err: Error];
  /** The session is over. Emitted exactly once. */
  close: [reason: CloseReason, description?: unknown];
};

/** Per-message send options. */
export interface SendOptions {
  /** Allow permessage-deflate for this message (if negotiated). Default true. */
  compress?: boolean;
}

/** What a session needs from its server; passed by {@link EngineServer}. */
export interface EngineSocketInit {
  /** The session id (see {@link generateSessionId}). */
  id: string;
  /** The request that opened the session (the handshake or upgrade request). */
  request: IncomingMessage;
  /** The transport the session starts on. */
  transport: Transport;
  /** Heartbeat timings and the announced payload limit. */
  opts: Pick<EngineOptions, "pingInterval" | "pingTimeout" | "maxHttpBufferSize">;
  /** Transports the client may upgrade to from this one, announced in the open packet. */
  upgrades: readonly TransportName[];
}

/**
 * Creates a session id: 20 URL-safe characters from 15 random bytes (120 bits).
 *
 * @returns e.g. `"Xq3Zb9-kT2_aaPlm0cBn"`.
 */
export function generateSessionId(): string {
  // 15 bytes → exactly 20 base64url characters, no padding.
  return randomBytes(15).toString("base64url");
}

// Frozen and shared: the per-packet options carry no state, so no allocation per send.
const COMPRESS: Readonly<{ compress: boolean }> = Object.freeze({ compress: true });
const NO_COMPRESS: Readonly<{ compress: boolean }> = Object.freeze({ compress: false });

type Callback = () => void;

/**
 * One Engine.IO v4 session.
 *
 * Created by {@link EngineServer} (which emits it as `connection`). Sends are buffered and
 * flushed once per tick: many `send()` calls in one tick become one `transport.send()`, which
 * the websocket transport writes with a single syscall.
 *
 * @example
 * ```ts
 * engine.on("connection", (socket: EngineSocket) => {
 *   socket.on("message", (data) => socket.send(data));
 *   socket.on("close", (reason) => console.log(socket.id, "closed:", reason));
 * });
 * ```
 */
export class EngineSocket extends EventEmitter<EngineSocketEvents> {
  /** The session id (sid). */
  readonly id: string;
  /** The request that opened the session. */
  readonly request: IncomingMessage;
  /** Engine.IO protocol revision spoken by this session. */
  readonly protocol = 4;
  /** Remote address of the client as seen by the TCP socket ("" if unknown). */
  readonly remoteAddress: string;
  /** Lifecycle state. */
  readyState: EngineSocketState = "opening";

  private currentTransport: Transport;
  private readonly pingInterval: number;
  private readonly pingTimeout: number;
  /** Packets queued since the last flush. */
  private writeBuffer: EnginePacket[] = [];
  /** Callbacks of packets still in writeBuffer. */
  private pendingCallbacks: Callback[] = [];
  /** Callbacks of packets handed to the transport, run on its next `drain`. */
  private inflightCallbacks: Callback[] = [];
  private flushScheduled = false;
  private pingIntervalTimer: NodeJS.Timeout | undefined = undefined;
  private pingTimeoutTimer: NodeJS.Timeout | undefined = undefined;

  /**
   * Opens the session: sends the open packet and starts the heartbeat.
   *
   * @param init - see {@link EngineSocketInit}.
   */
  constructor(init: EngineSocketInit) {
    super();
    this.id = init.id;
    this.request = init.request;
    // Captured now: a destroyed socket forgets its remote address.
    this.remoteAddress = init.request.socket.remoteAddress ?? "";
    this.pingInterval = init.opts.pingInterval;
    this.pingTimeout = init.opts.pingTimeout;
    // Bound once per session so attaching/detaching a transport (upgrade) can remove them.
    this.onTransportPacket = this.onTransportPacket.bind(this);
    this.onTransportError = this.onTransportError.bind(this);
    this.onTransportClose = this.onTransportClose.bind(this);
    this.onTransportDrain = this.onTransportDrain.bind(this);
    this.currentTransport = init.transport;
    this.attachTransport(init.transport);
    this.open(init.upgrades, init.opts.maxHttpBufferSize);
  }

  /** The transport currently carrying the session (changes on upgrade, once polling exists). */
  get transport(): Transport {
    return this.currentTransport;
  }

  /** True when the session is open and the transport would write a send right away. */
  get writable(): boolean {
    return this.readyState === "open" && this.currentTransport.writable;
  }

  /**
   * Queues a message; it is written on the next tick together with everything else queued in
   * this tick. Dropped silently once the session is closing or closed.
   *
   * @param data - text (a string) or binary (a Buffer) message.
   * @param opts - `compress` (default true) allows permessage-deflate for this message.
   * @param cb - called once the message has been written to the connection (not called if the
   *   session closes first).
   * @returns this
   */
  send(data: string | Buffer, cb?: Callback): this;
  send(data: string | Buffer, opts?: SendOptions, cb?: Callback): this;
  send(data: string | Buffer, optsOrCb?: SendOptions | Callback, cb?: Callback): this {
    if (typeof optsOrCb === "function") this.sendPacket("message", data, true, optsOrCb);
    else this.sendPacket("message", data, optsOrCb?.compress ?? true, cb);
    return this;
  }

  /** Alias of {@link EngineSocket.send}. */
  write(data: string | Buffer, cb?: Callback): this;
  write(data: string | Buffer, opts?: SendOptions, cb?: Callback): this;
  write(data: string | Buffer, optsOrCb?: SendOptions | Callback, cb?: Callback): this {
    if (typeof optsOrCb === "function") return this.send(data, optsOrCb);
    return this.send(data, optsOrCb, cb);
  }

  /**
   * Closes the session from the server side: what is buffered is flushed first (unless
   * `discard`), then the transport is closed and `close` fires with `"forced close"`.
   *
   * @param discard - drop buffered packets instead of flushing them. Default false.
   * @returns this
   */
  close(discard = false): this {
    return this.closeWith("forced close", discard);
  }

  /**
   * Closes the session because its server is shutting down (`close` reason
   * `"server shutting down"`). Buffered packets are flushed first.
   *
   * @internal Called by {@link EngineServer.close}; use {@link EngineSocket.close} instead.
   */
  shutdown(): this {
    return this.closeWith("server shutting down", false);
  }

  private closeWith(reason: "forced close" | "server shutting down", discard: boolean): this {
    if (this.readyState !== "open" && this.readyState !== "opening") return this;
    this.readyState = "closing";
    if (discard) {
      this.writeBuffer = [];
      this.pendingCallbacks = [];
    } else if (this.writeBuffer.length > 0) {
      // Forced past `writable`: the transport contract lets a closing session hand over its
      // buffer while a previous write is pending, and close() goes out after it.
      this.flush(true);
    }
    this.onClose(reason);
    return this;
  }

  private open(upgrades: readonly TransportName[], maxPayload: number): void {
    this.readyState = "open";
    // [EIO4:handshake] The first packet is `0` + this JSON, keys in this order.
    this.sendPacket(
      "open",
      JSON.stringify({
        sid: this.id,
        upgrades,
        pingInterval: this.pingInterval,
        pingTimeout: this.pingTimeout,
        maxPayload,
      }),
      true,
      undefined,
    );
    this.schedulePing();
  }

  private sendPacket(type: EnginePacketType, data: string | Buffer | undefined, compress: boolean, cb: Callback | undefined): void {
    if (this.readyState === "closing" || this.readyState === "closed") return;
    const packet: EnginePacket = { type, data, options: compress ? COMPRESS : NO_COMPRESS };
    this.emit("packetCreate", packet);
    this.writeBuffer.push(packet);
    if (cb !== undefined) this.pendingCallbacks.push(cb);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // One flush per tick, whatever the number of sends: this is what turns a burst of N
      // messages into one transport.send and one corked write.
      process.nextTick(EngineSocket.flushOnTick, this);
    }
  }

  private static flushOnTick(socket: EngineSocket): void {
    socket.flushScheduled = false;
    socket.flush(false);
  }

  /** Hands the buffer to the transport; unless forced, waits for `drain` when it is busy. */
  private flush(force: boolean): void {
    if (this.readyState === "closed" || this.writeBuffer.length === 0) return;
    if (!force && !this.currentTransport.writable) return; // onTransportDrain flushes later
    const packets = this.writeBuffer;
    this.writeBuffer = [];
    if (this.pendingCallbacks.length > 0) {
      if (this.inflightCallbacks.length === 0) {
        this.inflightCallbacks = this.pendingCallbacks;
      } else {
        for (const cb of this.pendingCallbacks) this.inflightCallbacks.push(cb);
      }
      this.pendingCallbacks = [];
    }
    this.emit("flush", packets);
    this.currentTransport.send(packets);
  }

  // [EIO4:heartbeat] The server pings every pingInterval; a ping not answered by a pong within
  // pingTimeout ends the session. A pong re-arms the next ping, so exactly one ping is ever
  // outstanding. Timers take the socket as an argument instead of capturing it in a closure.
  private schedulePing(): void {
    clearTimeout(this.pingIntervalTimer);
    this.pingIntervalTimer = setTimeout(EngineSocket.onPingInterval, this.pingInterval, this);
  }

  private static onPingInterval(socket: EngineSocket): void {
    socket.sendPacket("ping", undefined, true, undefined);
    clearTimeout(socket.pingTimeoutTimer);
    socket.pingTimeoutTimer = setTimeout(EngineSocket.onPingTimeout, socket.pingTimeout, socket);
  }

  private static onPingTimeout(socket: EngineSocket): void {
    socket.onClose("ping timeout");
  }

  private attachTransport(transport: Transport): void {
    transport.on("packet", this.onTransportPacket);
    transport.on("error", this.onTransportError);
    transport.on("close", this.onTransportClose);
    transport.on("drain", this.onTransportDrain);
  }

  private detachTransport(transport: Transport): void {
    transport.off("packet", this.onTransportPacket);
    transport.off("error", this.onTransportError);
    transport.off("close", this.onTransportClose);
    transport.off("drain", this.onTransportDrain);
  }

  private onTransportPacket(packet: EnginePacket): void {
    if (this.readyState !== "open") return;
    this.emit("packet", packet);
    // A `packet` listener may have closed the session.
    if (this.readyState !== "open") return;
    switch (packet.type) {
      case "message":
        // [EIO4:message] `4<text>` is a text message; a binary frame arrives as a Buffer.
        this.emit("message", packet.data ?? "");
        break;
      case "pong":
        // [EIO4:heartbeat]
        clearTimeout(this.pingTimeoutTimer);
        this.pingTimeoutTimer = undefined;
        this.schedulePing();
        this.emit("heartbeat");
        break;
      case "ping":
        // [EIO4:heartbeat] Clients do not ping an established session, but answering with the
        // same payload is harmless and is what the upgrade probe (`2probe` → `3probe`) expects.
        this.sendPacket("pong", packet.data, true, undefined);
        this.emit("heartbeat");
        break;
      case "close":
        // [EIO4:close]
        this.onClose("transport close");
        break;
      case "error":
      case "open":
        // [EIO4:parse-error] An undecodable packet, or an `open` (only the server sends one).
        this.onClose("parse error");
        break;
      case "upgrade":
      case "noop":
        // Ignored on purpose: both belong to the upgrade dance (added with polling), and a late
        // or duplicated one from a client finishing an upgrade must not kill the session.
        break;
    }
  }

  private onTransportError(err: Error): void {
    // Emitting 'error' without a listener would throw; the close below reports it anyway.
    if (this.listenerCount("error") > 0) this.emit("error", err);
    this.onClose("transport error", err);
  }

  private onTransportClose(): void {
    this.onClose("transport close");
  }

  private onTransportDrain(): void {
    if (this.readyState === "closed") return;
    if (this.inflightCallbacks.length > 0) {
      const callbacks = this.inflightCallbacks;
      this.inflightCallbacks = [];
      for (const cb of callbacks) cb();
    }
    // A callback may have closed the session.
    if (this.readyState !== "open") return;
    if (this.writeBuffer.length > 0) this.flush(false);
    else this.emit("drain");
  }

  /** The single exit: clears timers and buffers, closes the transport, emits `close` once. */
  private onClose(reason: CloseReason, description?: unknown): void {
    if (this.readyState === "closed") return;
    this.readyState = "closed";
    clearTimeout(this.pingIntervalTimer);
    clearTimeout(this.pingTimeoutTimer);
    this.pingIntervalTimer = undefined;
    this.pingTimeoutTimer = undefined;
    this.writeBuffer = [];
    this.pendingCallbacks = [];
    this.inflightCallbacks = [];
    const transport = this.currentTransport;
    this.detachTransport(transport);
    // Idempotent; for "transport close"/"transport error" the connection is already going.
    transport.close();
    this.emit("close", reason, description);
  }
}
