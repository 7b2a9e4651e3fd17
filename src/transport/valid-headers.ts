/**
 * Response headers added by `headers` / `initial_headers` listeners, checked before use.
 */
import { validateHeaderName, validateHeaderValue } from "node:http";
import type { EngineHeaders } from "./server-types.ts";

/**
 * The headers a listener added that can actually be sent (a bad one must not break the response).
 *
 * @param headers - what the listeners added.
 * @returns the valid entries, in order; invalid names or values are left out.
 */
export function validHeaders(headers: EngineHeaders): Array<[string, string | string[]]> {
  const valid: Array<[string, string | string[]]> = [];
  for (const [name, value] of Object.entries(headers)) {
    try {
      validateHeaderName(name);
      for (const v of Array.isArray(value) ? value : [value]) validateHeaderValue(name, v);
      valid.push([name, value]);
    } catch {
      // Left out: a listener's mistake must not turn into a response splitting or a crash.
    }
  }
  return valid;
}
