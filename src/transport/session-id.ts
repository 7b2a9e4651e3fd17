/**
 * Choosing a session id: `engine.generateId` (overridable, as in engine.io: it may return the
 * id or a promise of it), checked to be a usable, unused id.
 */
import type { IncomingMessage } from "node:http";
import { EngineErrorCode } from "./errors.ts";
import type { Rejection } from "./handshake.ts";

/** Makes a session id for a handshake request. */
export type IdGenerator = (req: IncomingMessage) => string | PromiseLike<string>;

/** How many times a generator that keeps answering ids in use is asked before the handshake fails. */
const MAX_TRIES = 3;

function failure(error: unknown): Rejection {
  return { code: EngineErrorCode.BAD_REQUEST, context: { name: "ID_GENERATION_ERROR", error } };
}

/** A non-empty string of URL-safe characters (it travels in every request's query). */
function usable(id: unknown): id is string {
  return typeof id === "string" && id.length > 0 && id.length <= 256 && /^[\w.~-]+$/.test(id);
}

/**
 * A fresh session id from `generate`: a string at once (the default generator, and any
 * synchronous one), or a promise of one. A throw, a rejection, an id that is not a non-empty
 * URL-safe string, or an id still in use after {@link MAX_TRIES} tries becomes a
 * {@link Rejection} (400, `ID_GENERATION_ERROR`, as engine.io).
 *
 * @param generate - the engine's `generateId`, called with the engine as `this`.
 * @param self - the engine.
 * @param req - the handshake request.
 * @param taken - whether an id is in use.
 */
export function newSessionId(
  generate: IdGenerator,
  self: object,
  req: IncomingMessage,
  taken: (id: string) => boolean,
): string | Rejection | Promise<string | Rejection> {
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    let id: string | PromiseLike<string>;
    try {
      id = Reflect.apply(generate, self, [req]) as string | PromiseLike<string>;
    } catch (err) {
      return failure(err);
    }
    if (typeof id === "object" && id !== null && typeof id.then === "function") {
      return Promise.resolve(id).then(
        (value) => (usable(value) && !taken(value) ? value : failure(new Error(`generateId gave an unusable or taken id: ${String(value)}`))),
        (err: unknown) => failure(err),
      );
    }
    if (!usable(id)) return failure(new Error(`generateId gave an unusable id: ${String(id)}`));
    // 120 random bits make a collision practically impossible; checking is still cheaper than reasoning.
    if (!taken(id)) return id;
  }
  return failure(new Error("generateId kept giving ids in use"));
}
