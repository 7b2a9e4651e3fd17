/**
 * What the Redis adapters call on the user's Redis clients, as structural types.
 *
 * roomcast does not import a Redis client at runtime: the user passes two connected clients,
 * and these interfaces name exactly the methods used. They match node-redis (`redis` v4 to v6,
 * checked against v6 in test/cluster/redis-client.test.ts): `subscribe`/`pSubscribe`/
 * `sSubscribe` with a listener in buffer mode, `publish`/`sPublish`, `sendCommand` for
 * `PUBSUB NUMSUB` and (connection state recovery) `EVALSHA`/`EVAL`, `on`/`off` for `error`
 * and `ready`, and the `isOpen`/`isReady` getters.
 */
import { createHash } from "node:crypto";

/** Receives one pub/sub message and the channel it came on, both as Buffers (buffer mode). */
export type RedisMessageListener = (message: Buffer, channel: Buffer) => void;

/** A client event listener (`error` passes an Error, `ready` nothing). */
export type RedisEventListener = (...args: unknown[]) => void;

/** The events and state of a client that the adapters watch. */
export interface RedisClientState {
  /** Adds a listener; the adapters listen to `error` (so a failing client never throws) and `ready`. */
  on(event: "error" | "ready", listener: RedisEventListener): unknown;
  /** Removes a listener added with `on`. */
  off(event: "error" | "ready", listener: RedisEventListener): unknown;
  /** True while the client is connected (or reconnecting), false once closed; absent: assumed open. */
  readonly isOpen?: boolean;
  /** True while commands can be sent at once; absent: assumed ready. */
  readonly isReady?: boolean;
}

/**
 * node-redis's command option asking for bulk-string replies as Buffers (RESP type `$`, code
 * 36) instead of UTF-8 strings, so binary values come back intact.
 */
export interface BufferReplies {
  typeMapping: { readonly 36: BufferConstructor };
}

/** The client that publishes: broadcasts, requests, responses, and the server count query. */
export interface RedisPublisher extends RedisClientState {
  /** `PUBLISH channel message`. */
  publish(channel: string, message: string | Buffer): Promise<unknown>;
  /** `SPUBLISH channel message` (sharded pub/sub, Redis 7+); needed by the sharded adapter only. */
  sPublish?(channel: string, message: string | Buffer): Promise<unknown>;
  /**
   * Sends a raw command: `PUBSUB NUMSUB` / `PUBSUB SHARDNUMSUB`, and the Lua scripts of
   * connection state recovery (`EVALSHA` / `EVAL`, with {@link BufferReplies}).
   */
  sendCommand(args: ReadonlyArray<string | Buffer>, options?: BufferReplies): Promise<unknown>;
}

/** Subscribe or unsubscribe channels (or patterns) for one listener, in buffer mode. */
export type RedisSubscribeMethod = (
  channels: string | string[],
  listener: RedisMessageListener,
  bufferMode: true,
) => Promise<unknown>;

/** The client that subscribes (it enters subscriber mode, so it cannot be the publisher). */
export interface RedisSubscriber extends RedisClientState {
  /** `SUBSCRIBE`. */
  subscribe: RedisSubscribeMethod;
  /** `UNSUBSCRIBE`. */
  unsubscribe: RedisSubscribeMethod;
  /** `PSUBSCRIBE`; needed by the classic adapter in its default "pattern" mode. */
  pSubscribe?: RedisSubscribeMethod;
  /** `PUNSUBSCRIBE`. */
  pUnsubscribe?: RedisSubscribeMethod;
  /** `SSUBSCRIBE` (sharded pub/sub, Redis 7+); needed by the sharded adapter only. */
  sSubscribe?: RedisSubscribeMethod;
  /** `SUNSUBSCRIBE`. */
  sUnsubscribe?: RedisSubscribeMethod;
}

/** Whether commands can be sent now (a client without `isReady` is taken as ready). */
export function isClientReady(client: RedisClientState): boolean {
  return client.isReady !== false;
}

/**
 * The number of subscribers of `channel`, from `PUBSUB NUMSUB` (or `SHARDNUMSUB`): each
 * server's adapter holds one subscription to its namespace's request channel, so this is the
 * number of servers, this one included (the method `@socket.io/redis-adapter` uses).
 */
export async function countSubscribers(
  client: RedisPublisher,
  command: "NUMSUB" | "SHARDNUMSUB",
  channel: string,
): Promise<number> {
  const reply = await client.sendCommand(["PUBSUB", command, channel]);
  // RESP2 and RESP3 both answer a flat array: [channel, count].
  const count = Array.isArray(reply) ? Number(reply[1]) : Number.NaN;
  if (!Number.isInteger(count) || count < 0) {
    throw new TypeError(`unexpected PUBSUB ${command} reply`);
  }
  return count;
}

/** A Lua script run by its SHA1 (`EVALSHA`), its source sent (`EVAL`) when Redis lacks it. */
export class LuaScript {
  /** The script's source. */
  readonly source: string;
  /** Its SHA1, as Redis names it. */
  readonly sha: string;
  /** Whether Redis is believed to hold it (set after an EVAL, cleared by a NOSCRIPT error). */
  loaded = false;

  /** @param source - the Lua source. */
  constructor(source: string) {
    this.source = source;
    this.sha = createHash("sha1").update(source).digest("hex");
  }
}

/**
 * Runs Lua scripts on Redis: the only command surface of connection state recovery (see
 * src/cluster/recovery-commands.ts), so another client library needs just this one method.
 * Replies: bulk strings as Buffers, integers as numbers, nil as null, arrays as arrays.
 */
export interface ScriptRunner {
  /** Runs `script` with `keys` and `args`; rejects with the client's error. */
  run(script: LuaScript, keys: readonly string[], args: ReadonlyArray<string | Buffer>): Promise<unknown>;
}

const BUFFERS: BufferReplies = { typeMapping: { 36: Buffer } };

/**
 * A {@link ScriptRunner} over node-redis's `sendCommand`. A script is sent whole (`EVAL`) the
 * first time and after a NOSCRIPT error (Redis restarted or flushed its scripts), by its SHA1
 * (`EVALSHA`) otherwise. A call that fails with NOSCRIPT is not retried: the caller treats it as
 * any failed write (commands already queued behind it must keep their order).
 */
export function nodeRedisScripts(client: RedisPublisher): ScriptRunner {
  return {
    run(script, keys, args) {
      const head = script.loaded ? ["EVALSHA", script.sha] : ["EVAL", script.source];
      let sent: Promise<unknown>;
      try {
        sent = client.sendCommand([...head, String(keys.length), ...keys, ...args], BUFFERS);
      } catch (err) {
        return Promise.reject(err);
      }
      script.loaded = true;
      return sent.catch((err: unknown) => {
        if (err instanceof Error && err.message.startsWith("NOSCRIPT")) script.loaded = false;
        throw err;
      });
    },
  };
}
