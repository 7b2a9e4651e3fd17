/**
 * Reading a resumed session's missed packets from the Redis log: page by page, a few reads at a
 * time per namespace, each page filtered by the session's rooms on this server as it arrives.
 *
 * Why pages and a limit: after a network blip thousands of clients resume at once, each from
 * its own offset. Read whole, every resume would hold up to `maxPackets` entries (most of them
 * for other rooms) at the same moment. Here a resume holds one page at a time, only
 * {@link READ_CONCURRENCY} pages per namespace are in flight, the others wait their turn, and a
 * resume whose connection went away stops reading.
 */
import { randomId } from "../transport/random-id.ts";
import type { LogRead, RecoveryCommands } from "../cluster/recovery-commands.ts";
import { canonicalOffset, compareOffsets, decodeEntry, padOffset } from "./redis-entries.ts";
import type { Replay } from "./replay.ts";
import type { LoggedPacket } from "./types.ts";

/** Entries asked per page (`XRANGE … COUNT`). */
export const READ_PAGE = 256;
/** Pages read at the same time per namespace; further reads queue. */
export const READ_CONCURRENCY = 4;

const BARRIER = "roomcast-recovery-barrier:";

/**
 * How a read ended: "ok" (the replay holds every missed packet), "lost" (some packet after the
 * offset is gone: the session can never be resumed), "future" (the client's offset is past
 * the log's end: not one of its offsets, the session stays), "failed" (Redis did not answer in
 * time, the connection went away, or more than `maxPackets` entries were read because traffic
 * outran the read: the session stays).
 */
export type ReadOutcome = "ok" | "lost" | "future" | "failed";

/** What the reader needs from its namespace's recovery. */
export interface LogReaderSettings {
  /** A channel only this server subscribes: read barriers come back on it. */
  readonly ownChannel: string;
  /** How long to wait for a page's barrier, ms. */
  readonly requestsTimeout: number;
  /** The log's count bound: a read past it means packets were trimmed meanwhile. */
  readonly maxPackets: number;
}

/** Reads missed packets for the resumes of one namespace. */
export class LogReader {
  private readonly commands: RecoveryCommands;
  private readonly settings: LogReaderSettings;
  private readonly barriers = new Map<string, () => void>();
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private closed = false;

  constructor(commands: RecoveryCommands, settings: LogReaderSettings) {
    this.commands = commands;
    this.settings = settings;
  }

  /** A message on the server's own channel: true when it was a read barrier (consumed). */
  onBarrier(message: Buffer): boolean {
    if (message.length <= BARRIER.length || message.toString("latin1", 0, BARRIER.length) !== BARRIER) return false;
    const token = message.toString("latin1", BARRIER.length);
    const arrived = this.barriers.get(token);
    this.barriers.delete(token);
    arrived?.();
    return true;
  }

  /**
   * Reads the log after `from` into `replay`.
   *
   * @param from - where the replay starts (the client's offset, or the session's start).
   * @param offset - the client's own offset, if any (a future one is refused without harm).
   * @param wanted - false once the connection asking is gone: the read stops.
   */
  async read(replay: Replay<string>, from: string, offset: string | undefined, wanted: () => boolean): Promise<ReadOutcome> {
    let after = from;
    let total = 0;
    for (let first = true; ; first = false) {
      if (!wanted() || this.closed) return "failed";
      const page = await this.page(after);
      if (page === undefined) return "failed";
      // The log's meta is gone (expired, or Redis lost its data): what was missed is unknown.
      if (page.last === "") return compareOffsets(from, padOffset("0-0")) > 0 ? "lost" : this.finish(replay, [], from);
      const last = padOffset(page.last);
      // [SIO5:recovery-offset] An offset the log never gave: refused, the session untouched.
      if (first && offset !== undefined && compareOffsets(offset, last) > 0) return "future";
      if (first && compareOffsets(from, last) > 0) return "lost";
      if (page.lost !== "" && compareOffsets(after, padOffset(page.lost)) < 0) return "lost";
      total += page.entries.length;
      // The log never holds more than maxPackets: reading more means traffic outruns this
      // read. Given up (one resume reads a bounded amount), the session left as it was.
      if (total > this.settings.maxPackets) return "failed";
      const packets = decodePage(page);
      const end = page.entries[page.entries.length - 1];
      if (page.entries.length < READ_PAGE || end === undefined) return this.finish(replay, packets, end === undefined ? after : padOffset(end[0]));
      replay.add(packets);
      after = padOffset(end[0]);
    }
  }

  /** Wakes every wait (the namespace's adapter is closing). */
  close(): void {
    this.closed = true;
    for (const arrived of this.barriers.values()) arrived();
    this.barriers.clear();
    for (const next of this.waiting.splice(0)) next();
  }

  private finish(replay: Replay<string>, packets: LoggedPacket[], floor: string): "ok" {
    replay.read(packets, floor);
    return "ok";
  }

  /**
   * One page after `after`, once its barrier came back (every packet published before the
   * read has then reached this server too); undefined when Redis did not answer in time.
   */
  private async page(after: string): Promise<LogRead | undefined> {
    await this.turn();
    if (this.closed) {
      this.release();
      return undefined;
    }
    const token = randomId();
    let timer: NodeJS.Timeout | undefined;
    const barrier = new Promise<boolean>((resolve) => {
      this.barriers.set(token, () => resolve(!this.closed));
      timer = setTimeout(resolve, this.settings.requestsTimeout, false);
    });
    try {
      const read = await this.commands.read(canonicalOffset(after), READ_PAGE, this.settings.ownChannel, BARRIER + token);
      // Only the last page needs its barrier; a full page is followed by another read.
      if (read.entries.length >= READ_PAGE) return read;
      return (await barrier) ? read : undefined;
    } finally {
      clearTimeout(timer);
      this.barriers.delete(token);
      this.release();
    }
  }

  /** Waits for a free read slot (handed over by {@link release}, so never more than the limit). */
  private turn(): Promise<void> {
    if (this.active < READ_CONCURRENCY || this.closed) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Frees a read slot: the next waiting read takes it over. */
  private release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.active--;
  }
}

/** The entries of a page as a replay filters them (undecodable ones skipped). */
function decodePage(page: LogRead): LoggedPacket[] {
  const packets: LoggedPacket[] = [];
  for (const [id, message] of page.entries) {
    const packet = decodeEntry(padOffset(id), message);
    if (packet !== undefined) packets.push(packet);
  }
  return packets;
}
