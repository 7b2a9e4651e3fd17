/**
 * A session's write buffer: packets queued since the last flush, what they weigh, and the send
 * callbacks waiting for them to be written.
 */
import type { EnginePacket } from "./transport.ts";

type Callback = () => void;

/**
 * What a queued packet counts toward maxBufferedBytes (and toward a polling response's size):
 * the memory it holds, roughly.
 *
 * @param data - the packet's data.
 */
export function sizeOf(data: string | Buffer | undefined): number {
  // A string's length (UTF-16 units) tracks what V8 holds for it, in O(1); the bound protects
  // memory, so that is the right measure, and it keeps byteLength scans off the send path.
  if (data === undefined) return 1;
  return 1 + data.length;
}

/**
 * The packets an {@link EngineSocket} has queued and the callbacks of what it has sent.
 *
 * @example
 * ```ts
 * const outbox = new Outbox();
 * outbox.push({ type: "message", data: "hi" }, () => console.log("written"));
 * transport.send(outbox.take()); // later, on the transport's drain: outbox.runWritten()
 * ```
 */
export class Outbox {
  /**
   * Packets queued since the last take: null when none, the packet itself when there is one,
   * an array from the second on. A broadcast queues one packet per recipient per tick, and an
   * array per recipient was that path's only allocation (callgrind: a one-element array per
   * delivered message, its allocation and its share of scavenges). One field rather than two
   * keeps the session's size: a packet is never an array, so `Array.isArray` tells them apart.
   */
  private queued: EnginePacket | EnginePacket[] | null = null;
  /** What `queued` holds, as counted by sizeOf. */
  private weight = 0;
  // The callback lists are created by the first send with a callback: most sessions never pass
  // one, and would otherwise carry two empty arrays (64 bytes) for nothing.
  /** Callbacks of packets still queued. */
  private pending: Callback[] | null = null;
  /** Callbacks of packets handed to the transport, due on its next drain. */
  private inflight: Callback[] | null = null;

  /** Number of queued packets. */
  get length(): number {
    const queued = this.queued;
    if (queued === null) return 0;
    return Array.isArray(queued) ? queued.length : 1;
  }

  /** True when no packet is queued (one compare, for the broadcast path). */
  get isEmpty(): boolean {
    return this.queued === null;
  }

  /** Weight of the queued packets (text: UTF-16 length, binary: bytes, plus one per packet). */
  get bytes(): number {
    return this.weight;
  }

  /**
   * Queues a packet.
   *
   * @param packet - the packet.
   * @param cb - called by {@link Outbox.runWritten} once the packet has been written.
   */
  push(packet: EnginePacket, cb: Callback | undefined): void {
    const queued = this.queued;
    if (queued === null) this.queued = packet;
    else if (Array.isArray(queued)) queued.push(packet);
    else this.queued = [queued, packet];
    this.weight += sizeOf(packet.data);
    if (cb !== undefined) (this.pending ??= []).push(cb);
  }

  /**
   * The queued packet when exactly one is queued and no send callback waits for it, else null:
   * the case a broadcast recipient is in at its end-of-tick flush, which then writes that packet
   * alone ({@link Outbox.takeOnly}) without building a list.
   */
  get only(): EnginePacket | null {
    const queued = this.queued;
    if (queued === null || this.pending !== null || Array.isArray(queued)) return null;
    return queued;
  }

  /** Empties the outbox that holds {@link Outbox.only} (which the caller writes). */
  takeOnly(): void {
    this.queued = null;
    this.weight = 0;
  }

  /**
   * Takes every queued packet (to hand to the transport); their callbacks become due on the
   * next {@link Outbox.runWritten}.
   *
   * @returns the packets, in order (a fresh array the caller may keep).
   */
  take(): EnginePacket[] {
    const queued = this.queued;
    const packets = queued === null ? [] : Array.isArray(queued) ? queued : [queued];
    this.queued = null;
    this.weight = 0;
    if (this.pending !== null) {
      if (this.inflight === null) this.inflight = this.pending;
      else for (const cb of this.pending) this.inflight.push(cb);
      this.pending = null;
    }
    return packets;
  }

  /** True when taken packets have send callbacks waiting for the transport's next drain. */
  get awaitingWrite(): boolean {
    return this.inflight !== null;
  }

  /** Runs the callbacks of everything taken so far (the transport has written it). */
  runWritten(): void {
    if (this.inflight === null) return;
    const callbacks = this.inflight;
    this.inflight = null;
    for (const cb of callbacks) cb();
  }

  /** Drops every queued packet and every callback (the session is closing). */
  clear(): void {
    this.queued = null;
    this.weight = 0;
    this.pending = null;
    this.inflight = null;
  }
}
