/**
 * A session being resumed, as both implementations gather its missed packets: those read from
 * the log, then those logged after the read while the socket is not yet accepted.
 */
import type { Room } from "../rooms/types.ts";
import { isMissed, type LoggedPacket, type PendingRestore, type SessionState } from "./types.ts";

/**
 * The missed packets of one restore, gathered in log order.
 *
 * The log is read once, up to some position (the floor). Packets logged after that are
 * `observe`d as they are delivered, until the socket is accepted and receives them live: none
 * falls between the replay and live delivery, and none is sent twice (an observed packet at or
 * below the floor was already read). Positions are compared with `compare` (sequence numbers in
 * memory, stream ids in Redis).
 *
 * @typeParam K - a log position.
 */
export class Replay<K> implements PendingRestore {
  readonly session: SessionState;
  private readonly rooms: ReadonlySet<Room>;
  private readonly compare: (a: K, b: K) => number;
  private readonly onEnd: (replay: Replay<K>, resumed: boolean) => void;
  private floor: K | undefined = undefined;
  /** The highest position read or observed so far. */
  private highest: K | undefined = undefined;
  private missed: unknown[][] = [];
  /** Packets observed before the read came back, with their positions. */
  private early: Array<[K, unknown[]]> = [];
  private ended = false;

  /**
   * @param session - the session being resumed.
   * @param compare - orders two log positions (negative, zero, positive).
   * @param onEnd - told once, when the restore finishes (`resumed` true) or is cancelled.
   */
  constructor(session: SessionState, compare: (a: K, b: K) => number, onEnd: (replay: Replay<K>, resumed: boolean) => void) {
    this.session = session;
    this.rooms = new Set(session.rooms);
    this.compare = compare;
    this.onEnd = onEnd;
  }

  /**
   * Takes one page of packets read from the log, oldest first, before the last page: only
   * those the socket would have received are kept, so a page's other entries can be released.
   */
  add(packets: Iterable<LoggedPacket>): void {
    for (const packet of packets) if (isMissed(this.rooms, packet)) this.missed.push(packet.data);
  }

  /** Takes the (last) packets read from the log, which holds everything up to `floor`. */
  read(packets: Iterable<LoggedPacket>, floor: K): void {
    this.add(packets);
    this.floor = floor;
    this.see(floor);
    for (const [position, data] of this.early) if (this.compare(position, floor) > 0) this.missed.push(data);
    this.early = [];
  }

  /** A packet logged at `position`, seen after the restore began. */
  observe(position: K, packet: LoggedPacket): void {
    if (this.ended) return;
    this.see(position);
    if (!isMissed(this.rooms, packet)) return;
    if (this.floor === undefined) this.early.push([position, packet.data]);
    else if (this.compare(position, this.floor) > 0) this.missed.push(packet.data);
  }

  /**
   * The highest log position read or observed: once the socket is accepted, the client has
   * (or is being sent) everything up to it.
   */
  get position(): K | undefined {
    return this.highest;
  }

  private see(position: K): void {
    if (this.highest === undefined || this.compare(position, this.highest) > 0) this.highest = position;
  }

  finish(): unknown[][] {
    if (this.ended) return [];
    this.ended = true;
    const missed = this.missed;
    this.missed = [];
    this.onEnd(this, true);
    return missed;
  }

  cancel(): void {
    if (this.ended) return;
    this.ended = true;
    this.missed = [];
    this.early = [];
    this.onEnd(this, false);
  }
}
