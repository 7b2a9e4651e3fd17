/**
 * The outbound half of an Engine.IO session: the write buffer, its once-per-tick flush to the
 * transport, and the bound on what may wait in it. {@link EngineSocket} adds the handshake,
 * heartbeat, upgrade, inbound packets and the close.
 */
import { EventEmitter } from "node:events";
import { TransportFailure } from "./errors.ts";
import type { SharedMessage } from "./frame.ts";
import { BUSY, FREE, leaveBatch, type BatchMember } from "./frame-batch.ts";
import { Outbox } from "./outbox.ts";
import type { CloseReason, EngineSocketEvents, EngineSocketState, SendOptions } from "./session-types.ts";
import { scheduleTickFlush, type TickFlushable } from "./tick-flush.ts";
import { HELD, type Coalescable, type WriteCoalescer } from "./write-coalescer.ts";
import { COMPRESS, NO_COMPRESS, type EnginePacket, type EnginePacketType, type Transport } from "./transport.ts";


type Callback = () => void;

/** A listener of session event `K`, spelled as Node's typed EventEmitter spells it. */
type SessionListener<K> = K extends keyof EngineSocketEvents
  ? EngineSocketEvents[K] extends unknown[]
    ? (...args: EngineSocketEvents[K]) => void
    : never
  : never;

/**
 * Open sessions that have (or had) a `packetCreate` listener. Broadcasts ask this once per
 * broadcast ({@link packetCreateObserved}): while it is 0, no recipient is asked anything.
 */
let observedSessions = 0;

/** Whether some open session listens (or listened) to `packetCreate`. Cheap: one load. */
export function packetCreateObserved(): boolean {
  return observedSessions > 0;
}

/**
 * Buffers a session's outgoing packets and hands them to its transport once per tick: many
 * sends in one tick become one `transport.send()`, which the websocket transport writes with a
 * single syscall and the polling transport as one payload. What waits for a transport that
 * cannot write is bounded by `maxBufferedBytes`. With a {@link WriteCoalescer} (the `writeDelay`
 * option), a session that wrote in the current window holds its packets until the window ends.
 */
export abstract class BufferedSession extends EventEmitter<EngineSocketEvents> implements TickFlushable, Coalescable, BatchMember {
  /** Lifecycle state. */
  readyState: EngineSocketState = "opening";

  /** The transport currently carrying the session (swapped by an upgrade). */
  protected currentTransport: Transport;
  /** Packets queued since the last flush, and the callbacks of what was sent. */
  protected readonly outbox = new Outbox();
  /** [EIO4:buffer-bound] Bytes that may wait while the transport cannot write. */
  protected readonly maxBufferedBytes: number = 0; // a number from the start: see WebSocketTransport.rawFrames
  /** The server's write windows (`writeDelay`), or null: every flush writes at the end of its tick. */
  private readonly coalescer: WriteCoalescer | null;
  /**
   * True while a flush is pending: in the tick's list, or held by the coalescer. Sends made
   * meanwhile join the pending flush.
   */
  private flushScheduled = false;
  /** @internal See {@link Coalescable.writeWindow}. */
  writeWindow = 0;
  /** Counted in {@link observedSessions} (a `packetCreate` listener was added). */
  private countedObserved = false;
  /**
   * A `flush` listener was added at some point. Checked on every flush instead of
   * `listenerCount("flush")`, whose lookup in the listener table was a measurable share of a
   * broadcast's per-recipient cost (callgrind: ~250 instructions per flush).
   */
  private flushObserved = false;
  /**
   * @internal See {@link BatchMember.batchId}: the batch the session is in, or whether it may
   * join one ({@link FREE}: open, batchable, nothing queued, no flush pending) or not
   * ({@link BUSY}). One number, so that a broadcast asks each recipient one compare instead of
   * five (state, batchable, batch, flush pending, buffer). It becomes BUSY wherever one of those
   * changes, and FREE only in {@link BufferedSession.settle}, which checks them all.
   */
  batchId = BUSY;
  /**
   * A broadcast message that is all this session has to write in a tick may wait in the
   * message's batch (frame-batch.ts) instead of this session's buffer: the transport writes
   * shared frames ({@link Transport.rawFrames}), no `writeDelay` window may hold it, and no
   * `flush` listener is to see it.
   */
  private batchable = false;

  /**
   * @param transport - the first transport.
   * @param maxBufferedBytes - the bound on queued bytes.
   * @param coalescer - the server's write windows, or null (no `writeDelay`).
   */
  protected constructor(transport: Transport, maxBufferedBytes: number, coalescer: WriteCoalescer | null = null) {
    super();
    this.currentTransport = transport;
    this.maxBufferedBytes = maxBufferedBytes;
    this.coalescer = coalescer;
    this.batchable = coalescer === null && transport.rawFrames === true;
  }

  /** Moves the session to `transport` (an upgrade). */
  protected useTransport(transport: Transport): void {
    this.takeBackBatched();
    this.batchId = BUSY;
    this.currentTransport = transport;
    this.batchable = this.coalescer === null && !this.flushObserved && transport.rawFrames === true;
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

  // `on`/`addListener`/`prependListener` are where every listener comes in (`once` and
  // `prependOnceListener` go through them): a `packetCreate` one makes broadcasts check, a
  // `flush` one makes flushes check.
  override on<K>(event: keyof EngineSocketEvents | K, listener: SessionListener<K>): this {
    this.noteListener(event);
    return super.on(event, listener);
  }

  override addListener<K>(event: keyof EngineSocketEvents | K, listener: SessionListener<K>): this {
    this.noteListener(event);
    return super.addListener(event, listener);
  }

  override prependListener<K>(event: keyof EngineSocketEvents | K, listener: SessionListener<K>): this {
    this.noteListener(event);
    return super.prependListener(event, listener);
  }

  private noteListener(event: unknown): void {
    if (event === "packetCreate") this.countObserved();
    else if (event === "flush") this.observeFlush();
  }

  private observeFlush(): void {
    this.flushObserved = true;
    this.batchable = false;
    // A message waiting in a batch would be written without the listener seeing it.
    if (this.batchId > 0) {
      this.takeBackBatched();
      this.scheduleFlush();
    }
    this.batchId = BUSY;
  }

  private countObserved(): void {
    if (this.countedObserved || this.readyState === "closed") return;
    this.countedObserved = true;
    observedSessions++;
  }

  /** Takes this session out of {@link observedSessions}; called as it closes. */
  protected uncountObserved(): void {
    if (!this.countedObserved) return;
    this.countedObserved = false;
    observedSessions--;
  }

  /**
   * Queues a message shared by the recipients of one broadcast: the same object goes into every
   * recipient's buffer, and its WebSocket frame is built once ({@link SharedMessage}).
   *
   * Kept as small as it is on purpose: it runs once per recipient and V8 inlines it (with
   * {@link BufferedSession.enqueue}) into the broadcast loop; the `packetCreate` check lives in
   * {@link BufferedSession.sendSharedObserved}, which only observed broadcasts call. A flag
   * argument here instead made every broadcast's optimized loop larger (measured with callgrind:
   * more compilation and worse inlining, with every hook idle).
   *
   * @param message - the message; not copied, never modified.
   */
  sendShared(message: SharedMessage): void {
    // Nothing else to write this tick: the message's batch writes it (frame-batch.ts). `0` is
    // FREE, written as a literal: an imported constant is read through a checked cell, per
    // recipient (V8 does not fold it).
    if (this.batchId === 0) {
      this.batchId = message.joinBatch(this);
      return;
    }
    const state = this.readyState;
    if (state === "closing" || state === "closed") return;
    this.enqueue(message, undefined);
  }

  /** @internal See {@link BatchMember.writeBatched}. */
  writeBatched(message: SharedMessage, frame: Buffer[]): void {
    // Closed since it joined (a close of its own would have taken the message back first).
    if (this.readyState !== "open") {
      this.batchId = BUSY;
      return;
    }
    // Not writable now: queued like every other send, for the transport's drain.
    if (this.currentTransport.writeFrame?.(frame) !== true) this.enqueue(message, undefined);
  }

  /** @internal See {@link BatchMember.queueBatched}. */
  queueBatched(message: SharedMessage): void {
    this.batchId = BUSY;
    if (this.readyState === "open") this.enqueue(message, undefined);
  }

  /**
   * A broadcast message waiting in a batch goes back to the front of the buffer, before
   * anything else is queued or taken: order holds, and the session flushes as usual.
   */
  protected takeBackBatched(): void {
    if (this.batchId <= 0) return;
    const message = leaveBatch(this);
    this.batchId = BUSY;
    if (message !== null) this.outbox.push(message, undefined);
  }

  /**
   * Makes the session {@link FREE} to join a broadcast's batch again if nothing stands in the
   * way: called where a flush may have emptied its buffer.
   */
  protected settle(): void {
    if (
      this.batchId === BUSY &&
      this.batchable === true &&
      this.flushScheduled === false &&
      this.readyState === "open" &&
      this.outbox.isEmpty
    ) {
      this.batchId = FREE;
    }
  }

  /**
   * {@link BufferedSession.sendShared} for a broadcast that some session observes (a
   * `packetCreate` listener somewhere): this session's own listeners, if any, get a packet of
   * their own first, as socket.io gives each connection one; the shared message stays untouched
   * whatever a listener does with it.
   *
   * @param message - the message; not copied, never modified.
   */
  sendSharedObserved(message: SharedMessage): void {
    if (this.readyState === "closing" || this.readyState === "closed") return;
    if (this.listenerCount("packetCreate") > 0) {
      this.emit("packetCreate", { type: "message", data: message.data, options: message.options });
    }
    this.enqueue(message, undefined);
  }

  protected sendPacket(type: EnginePacketType, data: string | Buffer | undefined, compress: boolean, cb: Callback | undefined): void {
    if (this.readyState === "closing" || this.readyState === "closed") return;
    const packet: EnginePacket = { type, data, options: compress ? COMPRESS : NO_COMPRESS };
    if (this.listenerCount("packetCreate") > 0) this.emit("packetCreate", packet);
    this.enqueue(packet, cb);
  }

  private enqueue(packet: EnginePacket, cb: Callback | undefined): void {
    if (this.batchId > 0) this.takeBackBatched();
    this.batchId = BUSY;
    this.outbox.push(packet, cb);
    // The rare case in its own method: this one is inlined into every broadcast loop, and V8
    // inlines less of a loop whose callees carry cold code.
    if (this.outbox.bytes > this.maxBufferedBytes && this.overBound()) return;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      scheduleTickFlush(this);
    }
  }

  /**
   * The buffer went past maxBufferedBytes: overflows (and returns true) if the transport cannot
   * write; a held session stops waiting for its window.
   */
  private overBound(): boolean {
    // Cut only while the transport cannot write: a burst into a writable transport is handed
    // over whole at the end of this tick (into the socket's own buffer and the kernel's), so
    // the bound is maxBufferedBytes plus one tick's burst (README, Backpressure).
    if (!this.currentTransport.writable) {
      this.overflow();
      return true;
    }
    // Held packets count toward the bound too: past it the session stops waiting for the
    // window's end and writes at the end of this tick, as it would without writeDelay.
    if (this.writeWindow === HELD) {
      this.writeWindow = 0;
      scheduleTickFlush(this); // flushScheduled is still true: it was held
    }
    return false;
  }

  /** @internal Flushes this session, scheduled by {@link scheduleTickFlush}. */
  flushOnTick(): void {
    const coalescer = this.coalescer;
    // Without writeDelay this one check is all the coalescing costs.
    if (coalescer !== null && this.holdsForWindow(coalescer)) return;
    this.flushScheduled = false;
    this.flush();
    this.settle();
  }

  /** Whether the session holds its packets until the window ends, rather than writing now. */
  private holdsForWindow(coalescer: WriteCoalescer): boolean {
    // Nothing to write (flushed directly since it was scheduled), or too much to hold.
    if (this.outbox.length === 0 || this.outbox.bytes > this.maxBufferedBytes) return false;
    return coalescer.holds(this);
  }

  /** @internal The window this session was held in has ended: writes what it holds. */
  flushHeld(): void {
    this.flushScheduled = false;
    this.flush();
  }

  /** Hands the buffer to the transport, or leaves it for the transport's next `drain`. */
  protected flush(): void {
    if (this.batchId > 0) this.takeBackBatched();
    const outbox = this.outbox;
    if (this.readyState !== "open" || outbox.length === 0) return;
    const transport = this.currentTransport;
    if (!transport.writable) {
      if (outbox.bytes > this.maxBufferedBytes) this.overflow();
      return; // onTransportDrain flushes later
    }
    // A broadcast recipient's flush, per recipient per tick: one packet, no send callback, no
    // `flush` listener to hand a list to. It goes to the transport alone, with no list built.
    if (!this.flushObserved && transport.sendOne !== undefined) {
      const only = outbox.only;
      if (only !== null) {
        outbox.takeOnly();
        transport.sendOne(only, outbox.awaitingWrite);
        return;
      }
    }
    const packets = outbox.take();
    // Per socket per tick on the broadcast path: skip the emit machinery when nobody listens.
    if (this.flushObserved && this.listenerCount("flush") > 0) this.emit("flush", packets);
    transport.send(packets, outbox.awaitingWrite);
  }

  /**
   * [EIO4:buffer-bound] The write buffer went above maxBufferedBytes while the transport could
   * not write: the session stops taking packets now and closes on the next tick. Deferred
   * because a send may come from inside a broadcast loop, which a synchronous close (sockets
   * leaving their rooms) would pull the rug from under.
   */
  private overflow(): void {
    this.readyState = "closing";
    this.batchId = BUSY;
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
