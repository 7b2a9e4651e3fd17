/**
 * Transcript placeholders: `<name>` captures a value the first time a server line shows it and
 * stands for that same value everywhere after; `<any>` matches anything and captures nothing.
 */
import { PLACEHOLDER } from "./transcript-format.ts";

/** A captured value never spans a JSON string's quotes or a payload's record separator. */
const CAPTURE = '([^"\\x1e]+?)';
const ANYTHING = "[\\s\\S]*?";

/** The values captured so far in one transcript run. */
export class Placeholders {
  private readonly values = new Map<string, string>();

  /**
   * Replaces every bound `<name>` in a client line.
   *
   * @throws Error for an unbound name (the parser already refuses those, so this is a bug guard).
   */
  fill(text: string): string {
    return text.replace(PLACEHOLDER, (whole, name: string) => {
      const value = this.values.get(name);
      if (value === undefined) throw new Error(`placeholder ${whole} has no value yet`);
      return value;
    });
  }

  /**
   * Whether `actual` is exactly `expected` once placeholders are taken into account; on a match,
   * newly seen names are bound to what they matched.
   */
  match(expected: string, actual: string): boolean {
    const fresh: string[] = [];
    let pattern = "";
    let last = 0;
    for (const m of expected.matchAll(PLACEHOLDER)) {
      pattern += escape(expected.slice(last, m.index));
      last = m.index + m[0].length;
      const name = m[1] ?? "";
      const value = this.values.get(name);
      if (name === "any") pattern += ANYTHING;
      else if (value !== undefined) pattern += escape(value);
      else {
        const seenAt = fresh.indexOf(name);
        if (seenAt === -1) {
          fresh.push(name);
          pattern += CAPTURE;
        } else {
          pattern += `\\${seenAt + 1}`; // the same new name twice on one line: same value
        }
      }
    }
    pattern += escape(expected.slice(last));
    const result = new RegExp(`^${pattern}$`).exec(actual);
    if (result === null) return false;
    fresh.forEach((name, i) => this.values.set(name, result[i + 1] ?? ""));
    return true;
  }
}

function escape(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
