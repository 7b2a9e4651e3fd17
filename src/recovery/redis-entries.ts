/**
 * What the Redis recovery reads back: offsets, log entries and session hashes.
 *
 * Offsets are Stream entry ids (`<ms>-<seq>`), shown to clients padded to a fixed width
 * (`<ms, 15 digits>-<seq, 8 digits>`) so the log script can put them in place of a placeholder
 * of the same length, and so two offsets compare as plain strings.
 */
import { decode } from "../cluster/msgpack.ts";
import { OFFSET_LENGTH } from "../cluster/recovery-commands.ts";
import { fromWireOptions, isEventPacket, isRecord } from "../cluster/wire.ts";
import type { Room } from "../rooms/types.ts";
import type { LoggedPacket, SessionState } from "./types.ts";

/** A padded offset, as clients send it back. */
const PADDED = /^\d{15}-\d{8}$/;
/** A Stream id, as Redis writes it. */
const CANONICAL = /^(\d{1,15})-(\d{1,8})$/;

/** Whether `value` is a well-formed padded offset. */
export function isOffset(value: string): boolean {
  return value.length === OFFSET_LENGTH && PADDED.test(value);
}

/** The padded form of a Stream id ("0-0" when it is not one). */
export function padOffset(id: string): string {
  const match = CANONICAL.exec(id) ?? ["", "0", "0"];
  return `${(match[1] ?? "0").padStart(15, "0")}-${(match[2] ?? "0").padStart(8, "0")}`;
}

/** The Stream id of a padded offset (leading zeros dropped). */
export function canonicalOffset(offset: string): string {
  return `${String(Number(offset.slice(0, 15)))}-${String(Number(offset.slice(16)))}`;
}

/** Orders two padded offsets (fixed width: string order is numeric order). */
export function compareOffsets(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A session from its Redis hash (`=i` id, `=d` data, `r<room>` rooms); an empty sid when malformed. */
export function parseSession(pid: string, fields: Map<string, Buffer>): SessionState {
  const rooms: Room[] = [];
  for (const name of fields.keys()) if (name.startsWith("r")) rooms.push(name.slice(1));
  let data: unknown = {};
  const raw = fields.get("=d");
  if (raw !== undefined) {
    try {
      data = decode(raw) ?? {};
    } catch {
      data = {};
    }
  }
  return { sid: fields.get("=i")?.toString("utf8") ?? "", pid, rooms, data };
}

/** A log entry as a replay needs it (its offset in place of the placeholder), or undefined. */
export function decodeEntry(offset: string, message: Buffer): LoggedPacket | undefined {
  let value: unknown;
  try {
    value = decode(message);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || !isEventPacket(value[1])) return undefined;
  const opts = fromWireOptions(value[2]);
  if (opts === undefined || !isRecord(value[2])) return undefined;
  const data = value[1].data.slice();
  data[data.length - 1] = offset;
  return { data, rooms: opts.rooms, except: opts.except !== undefined && opts.except.size > 0 ? opts.except : undefined };
}
