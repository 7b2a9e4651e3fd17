/**
 * The outbound half of an Engine.IO session: the write buffer, its once-per-tick flush to the
 * transport, and the bound on what may wait in it. {@link EngineSocket} adds the handshake,
 * heartbeat, upgrade, inbound packets and the close.
 */
import { EventEmitter } from "node:events";
import { TransportFailure } from "./errors.ts";
import type { SharedMessage } from "./frame.ts";
import { Outbox } from "./outbox.ts";
import type { CloseReason, EngineSocketEvents, EngineSocketState, SendOptions } from "./session-types.ts";
import { scheduleTickFlush, type TickFlushable } from "./tick-flush.ts";
import { COMPRESS, NO_COMPRESS, type EnginePacket, type EnginePacketType, type Transport } from "./transport.ts";


type Callback = () => void;

/**
 * Buffers a session's outgoing packets and hands them to its transport once per tick: many
 * sends in one tick become one `transport.send()`, which the websocket transport writes with a
 * single syscall and the polling transport as one payload. What waits for a transport that
 * cannot write is bounded by `maxBufferedBytes`.
 */
export abstract class BufferedSession extends EventEmitter<EngineSocketEvents> implements TickFlushable {
  /** Lifecycle state. */
  readyState: EngineSocketState = "opening";

  /** The transport currently carrying the session (swapped by an upgrade). */
  protected currentTransport: Transport;
  /** Packets queued since the last flush, and the callbacks of what was sent. */
  protected readonly outbox = new Outbox();
  /** [EIO4:buffer-bound] Bytes that may wait while the transport cannot write. */
  protected readonly maxBufferedBytes: number;
  private flushScheduled = false;

  /**
   * @param transport - the first transport.
   * @param maxBufferedBytes - the bound on queued bytes.
   */
  protected constructor(transport: Transport, maxBufferedBytes: number) {
    super();
    this.currentTransport = transport;
    this.maxBufferedBytes = maxBufferedBytes;
  }

  /** The single exit of the session (implemented by {@link EngineSocket}). */
  protected abstract onClose(reason: CloseReason, description?: unknown, final?: readonly EnginePacket[]): void;

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

  /** Alias of {@link BufferedSession.send}. */
  write(data: string | Buffer, cb?: Callback): this;
  write(data: string | Buffer, opts?: SendOptions, cb?: Callback): this;
  write(data: string | Buffer, optsOrCb?: SendOptions | Callback, cb?: Callback): this {
    if (typeof optsOrCb === "function") return this.send(data, optsOrCb);
    return this.send(data, optsOrCb, cb);
  }

  /**
   * Queues a message shared by the recipients of one broadcast: the same object goes into every
   * recipient's buffer, and its WebSocket frame is built once ({@link SharedMessage}).
   *
   * @param message - the message; not copied, never modified.
   */
  sendShared(message: SharedMessage): void {
    if (this.readyState === "closing" || this.readyState === "closed") return;
    // No `packetCreate` here: the message was created once for all recipients, and checking
    // for listeners per recipient was a measurable share of a broadcast's cost.
    this.enqueue(message, undefined);
  }

  protected sendPacket(type: EnginePacketType, data: string | Buffer | undefined, compress: boolean, cb: Callback | undefined): void {
    if (this.readyState === "closing" || this.readyState === "closed") return;
    const packet: EnginePacket = { type, data, options: compress ? COMPRESS : NO_COMPRESS };
    if (this.listenerCount("packetCreate") > 0) this.emit("packetCreate", packet);
    this.enqueue(packet, cb);
  }

  private enqueue(packet: EnginePacket, cb: Callback | undefined): void {
    this.outbox.push(packet, cb);
    // Checked only while the transport cannot write: a burst into a writable transport is
    // handed over whole at the end of this tick (into the socket's own buffer and the kernel's),
    // so the bound is maxBufferedBytes plus one tick's burst (README, Backpressure).
    if (this.outbox.bytes > this.maxBufferedBytes && !this.currentTransport.writable) {
      this.overflow();
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      scheduleTickFlush(this);
    }
  }

  /** @internal Flushes this session, scheduled by {@link scheduleTickFlush}. */
  flushOnTick(): void {
    this.flushScheduled = false;
    this.flush();
  }

  /** Hands the buffer to the transport, or leaves it for the transport's next `drain`. */
  protected flush(): void {
    if (this.readyState !== "open" || this.outbox.length === 0) return;
    if (!this.currentTransport.writable) {
      if (this.outbox.bytes > this.maxBufferedBytes) this.overflow();
      return; // onTransportDrain flushes later
    }
    const packets = this.outbox.take();
    // Per socket per tick on the broadcast path: skip the emit machinery when nobody listens.
    if (this.listenerCount("flush") > 0) this.emit("flush", packets);
    this.currentTransport.send(packets, this.outbox.awaitingWrite);
  }

  /**
   * [EIO4:buffer-bound] The write buffer went above maxBufferedBytes while the transport could
   * not write: the session stops taking packets now and closes on the next tick. Deferred
   * because a send may come from inside a broadcast loop, which a synchronous close (sockets
   * leaving their rooms) would pull the rug from under.
   */
  private overflow(): void {
    this.readyState = "closing";
    this.outbox.clear();
    process.nextTick(BufferedSession.closeOverflowed, this);
  }

  private static closeOverflowed(socket: BufferedSession): void {
    const err = new TransportFailure(
      "ROOMCAST_ERR_BUFFER_FULL",
      `more than maxBufferedBytes (${socket.maxBufferedBytes}) queued while the ${socket.currentTransport.name} transport could not write`,
    );
    socket.onClose("transport error", err);
    socket.currentTransport.destroy(); // a graceful close would wait behind what it does not read
  }
}
