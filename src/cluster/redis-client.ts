/**
 * What the Redis adapters call on the user's Redis clients, as structural types.
 *
 * roomcast does not import a Redis client at runtime: the user passes two connected clients,
 * and these interfaces name exactly the methods used. They match node-redis (`redis` v4 to v6,
 * checked against v6 in test/cluster/redis-client.test.ts): `subscribe`/`pSubscribe`/
 * `sSubscribe` with a listener in buffer mode, `publish`/`sPublish`, `sendCommand` for
 * `PUBSUB NUMSUB`, `on`/`off` for `error` and `ready`, and the `isOpen`/`isReady` getters.
 */

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

/** The client that publishes: broadcasts, requests, responses, and the server count query. */
export interface RedisPublisher extends RedisClientState {
  /** `PUBLISH channel message`. */
  publish(channel: string, message: string | Buffer): Promise<unknown>;
  /** `SPUBLISH channel message` (sharded pub/sub, Redis 7+); needed by the sharded adapter only. */
  sPublish?(channel: string, message: string | Buffer): Promise<unknown>;
  /** Sends a raw command; used for `PUBSUB NUMSUB` / `PUBSUB SHARDNUMSUB`. */
  sendCommand(args: string[]): Promise<unknown>;
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
