/**
 * {@link RedisConnection} over node-redis v4.6+ (`redis`): a client from `createClient()` or a
 * cluster from `createCluster()`. node-redis takes a listener per subscription (in buffer mode),
 * keeps one per channel and listener, and resubscribes by itself after a reconnection.
 */
import { call, missingMethods, unfit, type ConnectionNeeds } from "./connection-needs.ts";
import type { RedisEventListener, RedisMessageListener } from "./redis-client.ts";
import type { CommandOptions, ConnectionEvent, RedisConnection, SubscriptionKind } from "./redis-connection.ts";

type Subscribe = (channels: string | string[], listener: RedisMessageListener, bufferMode: true) => Promise<unknown>;

/** The node-redis methods used, as this module calls them (checked by {@link NodeRedisConnection.wrap}). */
interface NodeRedisApi {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  on(event: string, listener: RedisEventListener): unknown;
  off(event: string, listener: RedisEventListener): unknown;
  publish(channel: string, message: string | Buffer): Promise<unknown>;
  sPublish(channel: string, message: string | Buffer): Promise<unknown>;
  subscribe: Subscribe;
  unsubscribe: Subscribe;
  pSubscribe: Subscribe;
  pUnsubscribe: Subscribe;
  sSubscribe: Subscribe;
  sUnsubscribe: Subscribe;
}

/**
 * node-redis' options asking for bulk-string replies as Buffers: `typeMapping` (v5+: RESP type
 * `$`, code 36, to Buffer) and `returnBuffers` (v4). Each version ignores the other's key.
 */
interface BufferReplies {
  readonly typeMapping: { readonly 36: BufferConstructor };
  readonly returnBuffers: true;
}

/** A fresh object per command: node-redis may add its own fields to the options it is given. */
function bufferReplies(): BufferReplies {
  return { typeMapping: { 36: Buffer }, returnBuffers: true };
}

/** `createClient()` (also what `nodeClient()` gives): `sendCommand(args, options?)`. */
interface NodeRedisClientApi extends NodeRedisApi {
  sendCommand(args: ReadonlyArray<string | Buffer>, options?: BufferReplies): Promise<unknown>;
}

/** A node of `cluster.masters` / `cluster.replicas`. */
type ClusterNode = object;

/** `createCluster()`: `sendCommand(firstKey, isReadonly, args, options?)`, the nodes and their clients. */
interface NodeRedisClusterApi extends NodeRedisApi {
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: ReadonlyArray<string | Buffer>, options?: BufferReplies): Promise<unknown>;
  readonly masters: ClusterNode[];
  readonly replicas?: ClusterNode[];
  nodeClient(node: ClusterNode): NodeRedisClientApi | Promise<NodeRedisClientApi>;
}

/** Whether `client` looks like node-redis v4+ (the `isOpen` getter and `sendCommand`). */
export function isNodeRedis(client: object): boolean {
  const record = client as Record<string, unknown>;
  return typeof record.isOpen === "boolean" && typeof record.sendCommand === "function";
}

const METHODS: Record<SubscriptionKind, [keyof NodeRedisApi, keyof NodeRedisApi]> = {
  channel: ["subscribe", "unsubscribe"],
  pattern: ["pSubscribe", "pUnsubscribe"],
  sharded: ["sSubscribe", "sUnsubscribe"],
};

// A cluster has no `ready` of its own: `connect` once, then `node-ready` per node (re)connected.
const EVENTS: Record<"client" | "cluster", Record<ConnectionEvent, string[]>> = {
  client: { error: ["error"], ready: ["ready"] },
  cluster: { error: ["error", "node-error"], ready: ["connect", "node-ready"] },
};

/** A node-redis client or cluster seen through {@link RedisConnection}. */
export class NodeRedisConnection implements RedisConnection {
  readonly description: string;
  readonly isCluster: boolean;
  private readonly client: NodeRedisApi;
  /** Cluster: which master carries this connection's PUBLISHes (an index, fixed per connection). */
  private readonly publishNode = Math.floor(Math.random() * 1024);

  private constructor(client: NodeRedisApi, isCluster: boolean) {
    this.client = client;
    this.isCluster = isCluster;
    this.description = isCluster ? "a node-redis cluster" : "a node-redis client";
  }

  /**
   * Checks `client` against `needs` and wraps it.
   *
   * @throws TypeError naming the missing methods.
   */
  static wrap(client: object, needs: ConnectionNeeds): NodeRedisConnection {
    const isCluster = Array.isArray((client as Record<string, unknown>).masters);
    const wanted = ["on", "off", "publish", "sendCommand"];
    if (needs.sPublish === true) wanted.push("sPublish");
    for (const kind of needs.kinds ?? []) wanted.push(...METHODS[kind]);
    if (isCluster) wanted.push("nodeClient");
    const missing = missingMethods(client, wanted);
    const description = isCluster ? "a node-redis cluster" : "a node-redis client";
    if (missing.length > 0) {
      const hint = missing.some((name) => name.startsWith("s") && name !== "sendCommand") ? " (sharded pub/sub needs node-redis v4.6+)" : "";
      throw unfit(needs, description, [`it has no ${missing.map((name) => `${name}()`).join(", ")}${hint}`]);
    }
    return new NodeRedisConnection(client as NodeRedisApi, isCluster);
  }

  isReady(): boolean {
    return this.client.isReady;
  }

  isOpen(): boolean {
    return this.client.isOpen;
  }

  on(event: ConnectionEvent, listener: RedisEventListener): void {
    for (const name of EVENTS[this.isCluster ? "cluster" : "client"][event]) this.client.on(name, listener);
  }

  off(event: ConnectionEvent, listener: RedisEventListener): void {
    for (const name of EVENTS[this.isCluster ? "cluster" : "client"][event]) this.client.off(name, listener);
  }

  publish(channel: string, message: string | Buffer, sharded: boolean): Promise<unknown> {
    if (sharded) return call(() => this.client.sPublish(channel, message));
    if (this.isCluster) {
      // Not sendCommand(key, …): node-redis routes PUBLISH (a keyless command) to a random node
      // whatever the key. Always through a promise, so that the order of calls is kept even
      // while a node client is still connecting.
      const cluster = this.client as NodeRedisClusterApi;
      const master = cluster.masters[this.publishNode % cluster.masters.length];
      if (master !== undefined) return call(() => Promise.resolve(cluster.nodeClient(master)).then((node) => node.publish(channel, message)));
    }
    return call(() => this.client.publish(channel, message));
  }

  subscribe(kind: SubscriptionKind, channels: string[], listener: RedisMessageListener): Promise<unknown> {
    return this.each(kind, channels, (batch) => this.method(kind, 0).call(this.client, batch, listener, true));
  }

  unsubscribe(kind: SubscriptionKind, channels: string[], listener: RedisMessageListener): Promise<unknown> {
    // One channel per command anyway: node-redis v4 mishandled multi-channel UNSUBSCRIBE replies.
    return Promise.all(channels.map((channel) => call(() => this.method(kind, 1).call(this.client, channel, listener, true))));
  }

  command(args: ReadonlyArray<string | Buffer>, key?: string, options?: CommandOptions): Promise<unknown> {
    const replies = options?.buffers === true ? bufferReplies() : undefined;
    if (this.isCluster) return call(() => (this.client as NodeRedisClusterApi).sendCommand(key, false, args, replies));
    return call(() => (this.client as NodeRedisClientApi).sendCommand(args, replies));
  }

  async commandOnEveryNode(args: string[]): Promise<unknown[]> {
    if (!this.isCluster) return [await this.command(args)];
    const cluster = this.client as NodeRedisClusterApi;
    const nodes = [...cluster.masters, ...(cluster.replicas ?? [])];
    return Promise.all(nodes.map(async (node) => (await cluster.nodeClient(node)).sendCommand(args)));
  }

  private method(kind: SubscriptionKind, direction: 0 | 1): Subscribe {
    return this.client[METHODS[kind][direction]] as Subscribe;
  }

  /** Sharded channels one per command (a cluster may hold them on different shards). */
  private each(kind: SubscriptionKind, channels: string[], send: (batch: string[]) => Promise<unknown>): Promise<unknown> {
    if (kind !== "sharded" || channels.length <= 1) return call(() => send(channels));
    return Promise.all(channels.map((channel) => call(() => send([channel]))));
  }
}
