/**
 * Cases as a reader wants them in a failure report: JSON where bytes are hex, long strings are
 * cut (with their length), control characters escaped.
 */

const MAX_STRING = 160;
const MAX_BYTES = 48;

/** A readable rendering of any case value. */
export function describeValue(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (v instanceof Uint8Array) {
        const hex = Buffer.from(v.subarray(0, MAX_BYTES)).toString("hex");
        return `<${v.length} bytes: ${hex}${v.length > MAX_BYTES ? "…" : ""}>`;
      }
      if (typeof v === "string" && v.length > MAX_STRING) return `${v.slice(0, MAX_STRING)}…(${v.length} chars)`;
      if (v === undefined) return "<undefined>";
      return v;
    },
    1,
  );
}
