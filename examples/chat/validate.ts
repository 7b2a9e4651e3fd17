/**
 * Validation of everything a browser sends: strings only, trimmed, bounded, no control
 * characters. A value that fails is refused with a reason; it never reaches a room or a log.
 */

/** Length caps (UTF-16 code units, after trimming). */
export const LIMITS = {
  /** Longest nickname. */
  nick: 24,
  /** Longest room name. */
  room: 32,
  /** Longest message. */
  text: 500,
  /** Most nicknames listed in a join reply (a big room would otherwise make a big reply). */
  membersListed: 50,
  /** Most rooms in the room list (rooms are bounded by sockets, the list by this). */
  roomsListed: 100,
} as const;

// C0/C1 controls and line/paragraph separators: they would break the one-line layout.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

/** The outcome of a validation: the clean value, or why it was refused. */
export type Checked = { ok: true; value: string } | { ok: false; error: string };

/**
 * Checks a one-line name (nickname or room name): inner whitespace collapsed, 1..`max` characters.
 *
 * @param what - the field's name, used in the error message.
 */
export function checkName(value: unknown, max: number, what: string): Checked {
  if (typeof value !== "string") return { ok: false, error: `${what} must be a string` };
  // Rejected before any string work, so a huge payload costs nothing more than its length check.
  if (value.length > max * 4) return { ok: false, error: `${what} is longer than ${max} characters` };
  const clean = value.trim().replace(/\s+/gu, " ");
  if (clean.length === 0) return { ok: false, error: `${what} is empty` };
  if (clean.length > max) return { ok: false, error: `${what} is longer than ${max} characters` };
  if (CONTROL.test(clean)) return { ok: false, error: `${what} contains control characters` };
  return { ok: true, value: clean };
}

/** Checks a message text: trimmed, 1..{@link LIMITS.text} characters, no control characters. */
export function checkText(value: unknown): Checked {
  if (typeof value !== "string") return { ok: false, error: "message must be a string" };
  if (value.length > LIMITS.text * 4) return { ok: false, error: `message is longer than ${LIMITS.text} characters` };
  const clean = value.trim();
  if (clean.length === 0) return { ok: false, error: "message is empty" };
  if (clean.length > LIMITS.text) return { ok: false, error: `message is longer than ${LIMITS.text} characters` };
  if (CONTROL.test(clean)) return { ok: false, error: "message contains control characters" };
  return { ok: true, value: clean };
}
