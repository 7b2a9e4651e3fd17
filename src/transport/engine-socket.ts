/**
 * One Engine.IO session: the handshake, the heartbeat, the write buffer and the close reason.
 *
 * The session is independent of the transport carrying it (see {@link Transport}), so the
 * polling → websocket upgrade only swaps `transport` and keeps the sid, timers and buffer.
 */
import type { IncomingMessage } from "node:http";
import { BufferedSession } from "./buffered-session.ts";
import { BUSY } from "./frame-batch.ts";
import type { TransportName } from "./options.ts";
import { Heartbeats, type HeartbeatTarget } from "./heartbeat.ts";
import type { CloseReason, EngineSocketInit, SessionConsumer } from "./session-types.ts";
import { COMPRESS, NOOP, type EnginePacket, type Transport, type TransportSink } from "./transport.ts";
import { TransportUpgrade } from "./upgrade.ts";
import type { UpgradeHost } from "./upgrade.ts";

/** The last open packet's settings and what follows its sid (see {@link openTail}). */
let tailOf: { upgrades: readonly TransportName[]; pingInterval: number; pingTimeout: number; maxPayload: number; tail: string } | null = null;

/**
 * The open packet's JSON after `"sid":…,`, i.e. `"upgrades":[…],"pingInterval":…,"pingTimeout":…,
 * "maxPayload":…}`: the same for every session of a server and transport, so it is built once
 * rather than stringified per connection (the last settings are remembered).
 */
function openTail(upgrades: readonly TransportName[], pingInterval: number, pingTimeout: number, maxPayload: number): string {
  const last = tailOf;
  if (last !== null && last.upgrades === upgrades && last.pingInterval === pingInterval && last.pingTimeout === pingTimeout && last.maxPayload === maxPayload) {
    return last.tail;
  }
  // [EIO4:handshake] The keys in this order, after `sid`.
  const tail = JSON.stringify({ upgrades, pingInterval, pingTimeout, maxPayload }).slice(1);
  tailOf = { upgrades, pingInterval, pingTimeout, maxPayload, tail };
  return tail;
}

export type { CloseReason, EngineSocketEvents, EngineSocketInit, EngineSocketState, SendOptions, SessionConsumer } from "./session-types.ts";

/**
 * One Engine.IO v4 session.
 *
 * Created by {@link EngineServer} (which emits it as `connection`). Sends are buffered and
 * flushed once per tick: many `send()` calls in one tick become one `transport.send()`, which
 * the websocket transport writes with a single syscall and the polling transport as one payload.
 * What waits for a transport that cannot write is bounded by `maxBufferedBytes`.
 *
 * @example
 * ```ts
 * engine.on("connection", (socket: EngineSocket) => {
 *   socket.on("message", (data) => socket.send(data));
 *   socket.on("close", (reason) => console.log(socket.id, "closed:", reason));
 * });
 * ```
 */
export class EngineSocket extends BufferedSession implements HeartbeatTarget, TransportSink {
  /** The session id (sid). */
  readonly id: string;
  /** The request that opened the session. */
  readonly request: IncomingMessage;
  /** Engine.IO protocol revision spoken by this session (on the prototype: no field per session). */
  get protocol(): 4 {
    return 4;
  }
  /** Remote address of the client as seen by the TCP socket ("" if unknown). */
  readonly remoteAddress: string;
  /** @internal Called with each message and the close, before the events (the Socket.IO layer). */
  consumer: SessionConsumer | null = null;

  /** The heartbeat queues of the server (pingInterval, pingTimeout), or of this session alone. */
  private readonly heartbeats: Heartbeats;
  /** @internal This session's entry in `heartbeats` (see {@link HeartbeatTarget}). */
  heartbeatTicket = -1;
  /** The upgrade in progress, if any. */
  private pendingUpgrade: TransportUpgrade | null = null;
  /**
   * The final packets of a server-side close that waits for the client to pick a transport
   * (see {@link closeWith}); null otherwise.
   */
  private closeAfterUpgrade: EnginePacket[] | null = null;
  /** The server's hook, told of the close before any `close` listener. */
  private readonly onSessionClosed: ((session: EngineSocket) => void) | undefined;

  /**
   * Opens the session: sends the open packet and starts the heartbeat.
   *
   * @param init - see {@link EngineSocketInit}.
   */
  constructor(init: EngineSocketInit) {
    super(init.transport, init.opts.maxBufferedBytes, init.coalescer ?? null);
    this.id = init.id;
    this.request = init.request;
    // Captured now: a destroyed socket forgets its remote address.
    // No request behind the session (an engine of the user's): no address.
    const request: IncomingMessage | null | undefined = init.request;
    this.remoteAddress = request?.socket?.remoteAddress ?? "";
    // The server's queues, shared by its sessions; a session made without a server has its own.
    this.heartbeats = init.heartbeats ?? new Heartbeats(init.opts.pingInterval, init.opts.pingTimeout);
    this.onSessionClosed = init.closed;
    this.attachTransport(init.transport);
    this.open(init.upgrades, init.opts.maxHttpBufferSize);
  }

  /** The transport currently carrying the session (changes on upgrade). */
  get transport(): Transport {
    return this.currentTransport;
  }

  /** True when the session is open and the transport would write a send right away. */
  get writable(): boolean {
    return this.readyState === "open" && this.currentTransport.writable;
  }

  /** True while a WebSocket is being probed for an upgrade of this (polling) session. */
  get upgrading(): boolean {
    return this.pendingUpgrade !== null;
  }

  /**
   * Closes the session from the server side: what is buffered is delivered first (unless
   * `discard`), then the client is told and `close` fires with `"forced close"`.
   *
   * @param discard - drop buffered packets instead of delivering them. Default false.
   * @returns this
   */
  close(discard = false): this {
    return this.closeWith("forced close", discard);
  }

  /**
   * Closes the session because its server is shutting down (`close` reason
   * `"server shutting down"`). Buffered packets are delivered first.
   *
   * @internal Called by {@link EngineServer.close}; use {@link EngineSocket.close} instead.
   */
  shutdown(): this {
    // A close already waiting on an upgrade ends now: nobody will serve the client any more.
    if (this.closeAfterUpgrade !== null) this.finishDeferredClose("server shutting down");
    return this.closeWith("server shutting down", false);
  }

  /** Ends the session with "ping timeout" if its pong is overdue; asked before a request is served. @internal */
  expireIfOverdue(): void {
    this.heartbeats.expireIfOverdue(this);
  }

  /**
   * Starts a polling → WebSocket upgrade on `transport` (a WebSocket carrying this sid).
   * Refused (the transport is closed) unless the session is open on polling with no upgrade
   * already in progress.
   *
   * @internal Called by {@link EngineServer}.
   * @param transport - the new transport.
   * @param timeoutMs - upgradeTimeout.
   * @returns whether the upgrade started.
   */
  maybeUpgrade(transport: Transport, timeoutMs: number): boolean {
    if (this.readyState !== "open" || this.pendingUpgrade !== null || this.currentTransport.name !== "polling") {
      transport.close();
      return false;
    }
    const host: UpgradeHost = {
      onUpgradeProbed: (upgrade) => this.onUpgradeProbed(upgrade),
      onUpgradeComplete: (upgrade) => this.onUpgradeComplete(upgrade),
      onUpgradeFailed: (upgrade) => {
        if (this.pendingUpgrade !== upgrade) return;
        this.pendingUpgrade = null;
        // The client stays on polling: the close it waited for goes there (its next GET).
        if (this.closeAfterUpgrade !== null) this.finishDeferredClose("forced close");
      },
    };
    this.pendingUpgrade = new TransportUpgrade(host, transport, timeoutMs);
    return true;
  }

  private onUpgradeProbed(upgrade: TransportUpgrade): void {
    this.emit("upgrading", upgrade.transport);
    // [EIO4:upgrade] The client waits for its current poll to complete before sending `5`:
    // release a held GET at once (a non-empty buffer goes out on the next flush anyway).
    this.releasePoll();
  }

  private onUpgradeComplete(upgrade: TransportUpgrade): void {
    this.pendingUpgrade = null;
    const deferred = this.closeAfterUpgrade !== null;
    if (this.readyState !== "open" && !deferred) {
      upgrade.transport.close();
      return;
    }
    const previous = this.currentTransport;
    this.detachTransport(previous);
    previous.discard();
    this.useTransport(upgrade.transport);
    this.attachTransport(upgrade.transport);
    // The client sends `5` only after its last poll completed: whatever polling wrote has
    // arrived, so those send callbacks are due now, not at some later WebSocket drain.
    this.outbox.runWritten();
    this.emit("upgrade", upgrade.transport);
    // [EIO4:upgrade-close] The close that waited goes out on the WebSocket the client now reads.
    if (deferred) this.finishDeferredClose("forced close");
    // [EIO4:upgrade] Packets buffered during the probe go out on the WebSocket, in order.
    else if (this.readyState === "open") this.flush();
    this.settle();
  }

  /** During a probed upgrade a GET is never held: it is answered with what is buffered or a noop. */
  private releasePoll(): void {
    if (!this.currentTransport.writable) return;
    // What is buffered goes now rather than at the end of the tick, or of a writeDelay window:
    // the client sends `5` only once this poll has completed.
    if (this.outbox.length > 0) this.flush();
    else this.currentTransport.send([NOOP]);
  }

  private closeWith(reason: "forced close" | "server shutting down", discard: boolean): this {
    if (this.readyState !== "open" && this.readyState !== "opening") return this;
    this.readyState = "closing";
    // A broadcast message still waiting in a batch goes before the close too.
    this.takeBackBatched();
    this.batchId = BUSY;
    const final = this.outbox.take();
    if (discard) final.length = 0;
    else if (final.length > 0) this.emit("flush", final);
    // [EIO4:upgrade-close] A probed client stops polling and will send `5` on the WebSocket once
    // its last poll returns: closing that WebSocket now would strand it (engine.io-client keeps
    // its paused polling transport, "connected" with no session, until its ping timeout) or show
    // it a "transport close" instead of the DISCONNECT. So unless a GET is pending (it takes
    // the packets now), they wait for whichever comes first: `5` (they go on the WebSocket), a
    // GET (they go in it), the end of the upgrade (polling). upgradeTimeout bounds the wait.
    if (reason === "forced close" && this.pendingUpgrade?.probed === true && !this.currentTransport.writable) {
      this.closeAfterUpgrade = final;
      return this;
    }
    // Handed to the transport's close, which delivers them and then tells the client; over
    // polling that may wait for the client's next GET.
    this.onClose(reason, undefined, final);
    return this;
  }

  /** Ends a close that waited for the upgrade, on the current transport. */
  private finishDeferredClose(reason: "forced close" | "server shutting down"): void {
    const final = this.closeAfterUpgrade ?? [];
    this.closeAfterUpgrade = null;
    this.onClose(reason, undefined, final);
  }

  private open(upgrades: readonly TransportName[], maxPayload: number): void {
    this.readyState = "open";
    // [EIO4:handshake] The first packet is `0` + this JSON, keys in this order.
    const packet: EnginePacket = {
      type: "open",
      data: `{"sid":${JSON.stringify(this.id)},${openTail(upgrades, this.heartbeats.interval, this.heartbeats.timeout, maxPayload)}`,
      options: COMPRESS,
    };
    // No `packetCreate` listener can exist yet (this runs in the constructor), so none is told.
    // [EIO4:polling-handshake] Flushed now, alone: the handshake response of a polling session
    // holds only the open packet, whatever a `connection` listener sends in the same tick. Put
    // in the outbox directly rather than sent: a send also schedules the end-of-tick flush, which
    // would only find the outbox empty again (a process.nextTick per connection for nothing).
    this.outbox.push(packet, undefined);
    this.flush();
    this.heartbeats.start(this);
  }

  /** @internal [EIO4:heartbeat] Queues a ping; called by the heartbeat. */
  sendPing(): void {
    this.sendPacket("ping", undefined, true, undefined);
  }

  /** @internal [EIO4:heartbeat] No pong came in time; called by the heartbeat. */
  onPingTimeout(): void {
    this.onClose("ping timeout");
  }

  private attachTransport(transport: Transport): void {
    transport.sink = this;
  }

  private detachTransport(transport: Transport): void {
    if (transport.sink === this) transport.sink = null;
  }

  /** @internal A packet from the transport. */
  onTransportPacket(packet: EnginePacket): void {
    if (this.readyState !== "open" || this.heartbeats.expireIfOverdue(this)) return;
    // Per packet: skip the emit machinery when nobody listens (the common case).
    if (this.listenerCount("packet") > 0) this.emit("packet", packet);
    // A `packet` listener may have closed the session.
    if (this.readyState !== "open") return;
    switch (packet.type) {
      case "message": {
        // [EIO4:message] `4<text>` is a text message; binary arrives as a Buffer.
        const data = packet.data ?? "";
        this.consumer?.onEngineMessage(data);
        if (this.listenerCount("message") > 0) this.emit("message", data);
        break;
      }
      case "pong":
        // [EIO4:heartbeat]
        this.heartbeats.pong(this);
        this.emit("heartbeat");
        break;
      case "ping":
        // [EIO4:heartbeat] Clients do not ping an established session, but answering with the
        // same payload is harmless (the upgrade probe itself is answered by TransportUpgrade).
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
        // Ignored on purpose: both belong to the upgrade dance, and a late or duplicated one
        // from a client finishing an upgrade must not kill the session.
        break;
    }
  }

  /** @internal The transport failed. */
  onTransportError(err: Error): void {
    // Emitting 'error' without a listener would throw; the close below reports it anyway.
    if (this.listenerCount("error") > 0) this.emit("error", err);
    this.onClose("transport error", err);
  }

  /** @internal The transport's connection is gone. */
  onTransportClose(): void {
    this.onClose("transport close");
  }

  /** @internal The transport wrote what it was given (send callbacks are due) or can write again. */
  onTransportDrain(): void {
    if (this.readyState === "closed") return;
    if (this.closeAfterUpgrade !== null) {
      // A GET reached the polling transport before `5`: the waiting close goes in it.
      if (this.currentTransport.writable) this.finishDeferredClose("forced close");
      return;
    }
    this.outbox.runWritten();
    // A callback may have closed the session.
    if (this.readyState !== "open") return;
    // Not "drained" while a broadcast message waits in a batch: it goes now, with the rest.
    this.takeBackBatched();
    if (this.outbox.length > 0) {
      this.flush();
      // What waited went out without filling the transport again: no other drain will follow.
      if (this.writable && this.outbox.length === 0 && !this.outbox.awaitingWrite) this.emit("drain");
    } else if (this.pendingUpgrade?.probed === true) this.releasePoll();
    else this.emit("drain");
    this.settle();
  }

  /** The single exit: clears timers and buffers, closes the transport, emits `close` once. */
  protected override onClose(reason: CloseReason, description?: unknown, final?: readonly EnginePacket[]): void {
    if (this.readyState === "closed") return;
    this.readyState = "closed";
    this.batchId = BUSY;
    this.uncountObserved();
    this.closeAfterUpgrade = null;
    this.heartbeats.stop(this);
    this.outbox.clear();
    const upgrade = this.pendingUpgrade;
    this.pendingUpgrade = null;
    upgrade?.cancel();
    const transport = this.currentTransport;
    this.detachTransport(transport);
    // Idempotent; for "transport close"/"transport error" the connection is already going.
    transport.close(final);
    this.onSessionClosed?.(this);
    this.consumer?.onEngineClose(reason, description);
    this.emit("close", reason, description);
  }
}
