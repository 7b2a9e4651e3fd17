/**
 * {@link RedisConnection} over ioredis v5+: a client (`new Redis()`) or a cluster
 * (`new Cluster()`). ioredis subscribes without a listener and emits every message as an
 * event (`messageBuffer`, `pmessageBuffer`, `smessageBuffer`), so this wrapper keeps the
 * listeners per channel, as node-redis does, and routes each message to them. One wrapper per
 * client object: the adapters of every namespace share its listener table.
 */
import { call, missingMethods, unfit, type ConnectionNeeds } from "./connection-needs.ts";
import type { RedisEventListener, RedisMessageListener } from "./redis-client.ts";
import type { CommandOptions, ConnectionEvent, RedisConnection, SubscriptionKind } from "./redis-connection.ts";

type Variadic = (...channels: string[]) => Promise<unknown>;

/** The ioredis methods used (checked by {@link IoRedisConnection.wrap}). */
interface IoRedisApi {
  readonly status: string;
  readonly isCluster?: boolean;
  readonly options?: { shardedSubscribers?: boolean };
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
  publish(channel: string, message: string | Buffer): Promise<unknown>;
  spublish(channel: string, message: string | Buffer): Promise<unknown>;
  call(command: string, ...args: Array<string | Buffer>): Promise<unknown>;
  /** `call` with bulk-string replies as Buffers (ioredis v5+). */
  callBuffer?(command: string, ...args: Array<string | Buffer>): Promise<unknown>;
  subscribe: Variadic;
  unsubscribe: Variadic;
  psubscribe: Variadic;
  punsubscribe: Variadic;
  ssubscribe: Variadic;
  sunsubscribe: Variadic;
  /** Cluster only: its node clients. */
  nodes?(role: "all" | "master"): IoRedisApi[];
}

/** Whether `client` looks like ioredis (a `status` string and `call()`). */
export function isIoRedis(client: object): boolean {
  const record = client as Record<string, unknown>;
  return typeof record.status === "string" && typeof record.call === "function";
}

const METHODS: Record<SubscriptionKind, [keyof IoRedisApi, keyof IoRedisApi]> = {
  channel: ["subscribe", "unsubscribe"],
  pattern: ["psubscribe", "punsubscribe"],
  sharded: ["ssubscribe", "sunsubscribe"],
};

const ERROR_EVENTS: Record<"client" | "cluster", string[]> = { client: ["error"], cluster: ["error", "node error"] };

const wrappers = new WeakMap<object, IoRedisConnection>();

/** An ioredis client or cluster seen through {@link RedisConnection}. */
export class IoRedisConnection implements RedisConnection {
  readonly description: string;
  readonly isCluster: boolean;
  private readonly client: IoRedisApi;
  /** Cluster: which master carries this connection's PUBLISHes (an index, fixed per connection). */
  private readonly publishNode = Math.floor(Math.random() * 1024);
  private readonly listeners: Record<SubscriptionKind, Map<string, Set<RedisMessageListener>>> = {
    channel: new Map(),
    pattern: new Map(),
    sharded: new Map(),
  };

  private constructor(client: IoRedisApi) {
    this.client = client;
    this.isCluster = client.isCluster === true;
    this.description = this.isCluster ? "an ioredis Cluster" : "an ioredis client";
    client.on("messageBuffer", (channel: Buffer, message: Buffer) => this.dispatch("channel", channel, channel, message));
    client.on("pmessageBuffer", (pattern: Buffer, channel: Buffer, message: Buffer) => this.dispatch("pattern", pattern, channel, message));
    client.on("smessageBuffer", (channel: Buffer, message: Buffer) => this.dispatch("sharded", channel, channel, message));
  }

  /**
   * Checks `client` against `needs` and wraps it (the same wrapper for the same client).
   *
   * @throws TypeError naming the missing methods, or the cluster option sharded pub/sub needs.
   */
  static wrap(client: object, needs: ConnectionNeeds): IoRedisConnection {
    const api = client as IoRedisApi;
    const isCluster = api.isCluster === true;
    const description = isCluster ? "an ioredis Cluster" : "an ioredis client";
    const wanted = ["on", "off", "publish", "call"];
    if (needs.sPublish === true) wanted.push("spublish");
    for (const kind of needs.kinds ?? []) wanted.push(...METHODS[kind]);
    if (isCluster) wanted.push("nodes");
    const problems: string[] = [];
    const missing = missingMethods(client, wanted);
    if (missing.length > 0) problems.push(`it has no ${missing.map((name) => `${name}()`).join(", ")}${missing.some((n) => n.startsWith("s")) ? " (sharded pub/sub needs ioredis v5+)" : ""}`);
    // Without it, an ioredis Cluster sends every SSUBSCRIBE to one node, and channels held by
    // the other shards are refused with MOVED.
    if (isCluster && needs.kinds?.includes("sharded") === true && api.options?.shardedSubscribers !== true) {
      problems.push("sharded pub/sub on an ioredis Cluster needs new Cluster(nodes, { shardedSubscribers: true })");
    }
    if (problems.length > 0) throw unfit(needs, description, problems);
    let wrapper = wrappers.get(client);
    if (wrapper === undefined) {
      wrapper = new IoRedisConnection(api);
      wrappers.set(client, wrapper);
    }
    return wrapper;
  }

  isReady(): boolean {
    return this.client.status === "ready";
  }

  isOpen(): boolean {
    // "end": closed for good ("wait", lazyConnect, connects on the first command).
    return this.client.status !== "end";
  }

  on(event: ConnectionEvent, listener: RedisEventListener): void {
    for (const name of this.events(event)) this.client.on(name, listener);
  }

  off(event: ConnectionEvent, listener: RedisEventListener): void {
    for (const name of this.events(event)) this.client.off(name, listener);
  }

  publish(channel: string, message: string | Buffer, sharded: boolean): Promise<unknown> {
    if (sharded) return call(() => this.client.spublish(channel, message));
    const masters = this.isCluster ? this.client.nodes?.("master") : undefined;
    const via = masters === undefined || masters.length === 0 ? this.client : (masters[this.publishNode % masters.length] ?? this.client);
    return call(() => via.publish(channel, message));
  }

  subscribe(kind: SubscriptionKind, channels: string[], listener: RedisMessageListener): Promise<unknown> {
    const table = this.listeners[kind];
    for (const channel of channels) {
      let set = table.get(channel);
      if (set === undefined) table.set(channel, (set = new Set()));
      set.add(listener);
    }
    // Sent even for channels already held: after a reconnection it restores what was lost.
    const method = this.client[METHODS[kind][0]] as Variadic;
    if (kind !== "sharded") return call(() => method.apply(this.client, channels));
    return Promise.all(channels.map((channel) => call(() => method.call(this.client, channel))));
  }

  unsubscribe(kind: SubscriptionKind, channels: string[], listener: RedisMessageListener): Promise<unknown> {
    const table = this.listeners[kind];
    const gone: string[] = [];
    for (const channel of channels) {
      const set = table.get(channel);
      if (set === undefined || !set.delete(listener) || set.size > 0) continue;
      table.delete(channel);
      gone.push(channel);
    }
    const method = this.client[METHODS[kind][1]] as Variadic;
    return Promise.all(gone.map((channel) => call(() => method.call(this.client, channel))));
  }

  command(args: ReadonlyArray<string | Buffer>, _key?: string, options?: CommandOptions): Promise<unknown> {
    // ioredis routes cluster commands by the keys it finds in the arguments (for EVAL and
    // EVALSHA: the `numkeys` keys after the script).
    const [first = "", ...rest] = args;
    const name = String(first);
    if (options?.buffers !== true) return call(() => this.client.call(name, ...rest));
    const { callBuffer } = this.client;
    if (typeof callBuffer !== "function") return Promise.reject(new TypeError(`${this.description} has no callBuffer() (binary replies need ioredis v5+)`));
    return call(() => callBuffer.call(this.client, name, ...rest));
  }

  commandOnEveryNode(args: string[]): Promise<unknown[]> {
    const [name = "", ...rest] = args;
    const nodes = this.isCluster && this.client.nodes !== undefined ? this.client.nodes("all") : [this.client];
    return Promise.all(nodes.map((node) => call(() => node.call(name, ...rest))));
  }

  private events(event: ConnectionEvent): string[] {
    return event === "ready" ? ["ready"] : ERROR_EVENTS[this.isCluster ? "cluster" : "client"];
  }

  private dispatch(kind: SubscriptionKind, key: Buffer, channel: Buffer, message: Buffer): void {
    const set = this.listeners[kind].get(key.toString());
    if (set === undefined) return;
    for (const listener of set) listener(message, channel);
  }
}
