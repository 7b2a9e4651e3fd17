/**
 * A small MessagePack codec: the subset `@socket.io/redis-adapter` and
 * `@socket.io/redis-emitter` exchange through Redis (they use notepack.io), written here so
 * roomcast needs no runtime dependency for it.
 *
 * Decoding is bounded: every length is checked against the bytes that remain before anything
 * is allocated, nesting is limited to {@link MAX_DEPTH}, and malformed input throws a
 * {@link MsgpackError} instead of reading out of bounds.
 */
export { encode } from "./msgpack-encode.ts";
export { decode } from "./msgpack-decode.ts";
export { MAX_DEPTH, MsgpackError } from "./msgpack-error.ts";
