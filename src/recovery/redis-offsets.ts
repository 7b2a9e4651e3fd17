/**
 * Offsets of the Redis packet log: Stream entry ids (`<ms>-<seq>`), shown to clients padded to
 * a fixed width (`<ms, 15 digits>-<seq, 8 digits>`) so the log script can put them in place of
 * a placeholder of the same length, and so two offsets compare as plain strings.
 */
import { OFFSET_LENGTH } from "../cluster/recovery-commands.ts";

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
