/**
 * The errors the Redis adapters report through their `error` event (and reject with).
 */

/** What went wrong, as a stable code a listener can switch on. */
export type RedisAdapterErrorCode =
  /** `init()` could not subscribe in time: Redis unreachable, or the client never connected. */
  | "ROOMCAST_ERR_REDIS_UNAVAILABLE"
  /** The publisher is not ready (Redis lost): cluster messages are dropped until it returns. */
  | "ROOMCAST_ERR_REDIS_NOT_READY"
  /** A Redis client emitted an error (connection refused, reset, …); `cause` holds it. */
  | "ROOMCAST_ERR_REDIS_CLIENT"
  /** A PUBLISH or (UN)SUBSCRIBE command failed; `cause` holds the client's error. */
  | "ROOMCAST_ERR_REDIS_COMMAND"
  /** A cluster request did not get every server's answer within its timeout. */
  | "ROOMCAST_ERR_REDIS_TIMEOUT"
  /** A message on an adapter channel could not be decoded or had an unexpected shape. */
  | "ROOMCAST_ERR_REDIS_BAD_MESSAGE"
  /** A payload could not be encoded for Redis (a BigInt, a cycle, …). */
  | "ROOMCAST_ERR_REDIS_ENCODE"
  /** The adapter was closed while the request was pending. */
  | "ROOMCAST_ERR_REDIS_CLOSED";

/**
 * An error from a Redis adapter. It is emitted as the adapter's `error` event (only when
 * someone listens: an adapter never throws an unhandled `error`), or rejects a request.
 *
 * @example
 * io.of("/").adapter.on("error", (err) => {
 *   if (err instanceof RedisAdapterError && err.code === "ROOMCAST_ERR_REDIS_NOT_READY") metrics.redisDown++;
 * });
 */
export class RedisAdapterError extends Error {
  /** The error's stable code. */
  readonly code: RedisAdapterErrorCode;

  /**
   * @param code - the stable code.
   * @param message - a sentence for humans.
   * @param cause - the underlying error, if any.
   */
  constructor(code: RedisAdapterErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "RedisAdapterError";
    this.code = code;
  }
}

/** `err` as an Error (Redis clients reject with Errors, but a promise may carry anything). */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
