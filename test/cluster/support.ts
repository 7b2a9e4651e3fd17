/**
 * Shared helpers for the cluster suite: the Redis address (REDIS_URL), the availability check
 * (a FAILURE under CI=true, a skip otherwise), roomcast nodes joined by a Redis adapter, and
 * official clients spread over them. Everything opened is closed by the harness' cleanup().
 */
import { randomBytes } from "node:crypto";
import { createClient } from "redis";
import {
  createRedisAdapter,
  createShardedRedisAdapter,
  type RedisAdapterOptions,
  type RedisClientLike,
  type ShardedRedisAdapterOptions,
} from "../../src/index.ts";
import type { ClusterAdapter } from "../../src/cluster/cluster-adapter.ts";
import { encode } from "../../src/cluster/msgpack.ts";
import {
  connectRecorded,
  onCleanup,
  serverSocket,
  startServer,
  type ClientSocket,
  type ServerOpts,
  type TestServer,
} from "../support/harness.ts";
import type { ServerSocket } from "../support/server.ts";

/** The Redis server the suite uses. */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** A new (not yet connected) node-redis client for `url`. */
export function newClient(url = REDIS_URL): ReturnType<typeof createDefaultClient> {
  return createDefaultClient(url);
}

function createDefaultClient(url: string) {
  return createClient({ url });
}

/** A node-redis client with the default options. */
export type RedisClient = ReturnType<typeof createDefaultClient>;

/**
 * Whether Redis answers at REDIS_URL. When it does not and CI=true, throws: the suite must
 * fail, not skip, in CI (start Redis with `redis-server --daemonize yes --port 6379`).
 */
export async function redisAvailable(): Promise<boolean> {
  const client = createClient({ url: REDIS_URL, socket: { reconnectStrategy: false, connectTimeout: 1000 } });
  client.on("error", () => {});
  let ok = false;
  try {
    await client.connect();
    ok = (await client.ping()) === "PONG";
  } catch {
    ok = false;
  } finally {
    if (client.isOpen) client.destroy();
  }
  if (!ok && process.env.CI === "true") {
    throw new Error(`Redis is unreachable at ${REDIS_URL} and CI=true: the cluster tests cannot be skipped`);
  }
  return ok;
}

/** A key (channel prefix) no other test file or run uses. */
export function uniqueKey(name: string): string {
  return `roomcast-test-${name}-${randomBytes(4).toString("hex")}`;
}

/** Connects a client and registers its close with cleanup(); errors are recorded, not thrown. */
export async function redisClient(url = REDIS_URL): Promise<RedisClient> {
  const client = newClient(url);
  const errors: unknown[] = [];
  client.on("error", (err: unknown) => errors.push(err));
  await client.connect();
  onCleanup(async () => {
    if (client.isOpen) await client.close();
  });
  return client;
}

/** How the nodes of a test cluster talk through Redis. */
export type ClusterMode =
  | { kind: "classic"; options?: RedisAdapterOptions }
  | { kind: "sharded"; options?: ShardedRedisAdapterOptions };

/** A roomcast server whose adapter joins a cluster through Redis, whatever the clients. */
export interface AdapterNode extends TestServer {
  name: string;
  key: string;
  mode: ClusterMode;
  /** The adapter of namespace `nsp` (default "/"). */
  adapter(nsp?: string): ClusterAdapter;
}

/** A roomcast server joined to the cluster with node-redis clients. */
export interface ClusterNode extends AdapterNode {
  pub: RedisClient;
  sub: RedisClient;
}

/**
 * Starts a roomcast server whose adapter (classic or sharded, per `mode`) uses `pub` and `sub`
 * (any client kind the adapters accept), and waits for its `init()` (`extra`: more server options).
 */
export async function startNodeWith(name: string, key: string, mode: ClusterMode, pub: RedisClientLike, sub: RedisClientLike, extra: ServerOpts = {}): Promise<AdapterNode> {
  const adapter =
    mode.kind === "classic"
      ? createRedisAdapter(pub, sub, { key, ...mode.options })
      : createShardedRedisAdapter(pub, sub, { channelPrefix: key, ...mode.options });
  const server = await startServer({ ...extra, adapter });
  const node: AdapterNode = { ...server, name, key, mode, adapter: (nsp = "/") => server.io.of(nsp).adapter as ClusterAdapter };
  onCleanup(() => node.adapter().close());
  await node.adapter().init();
  return node;
}

/** Starts a roomcast server whose adapter joins the cluster under `key` (node-redis clients; `extra`: more server options). */
export async function startNode(name: string, key: string, mode: ClusterMode, url = REDIS_URL, extra: ServerOpts = {}): Promise<ClusterNode> {
  const pub = await redisClient(url);
  const sub = await redisClient(url);
  return { ...(await startNodeWith(name, key, mode, pub, sub, extra)), pub, sub };
}

/** Starts `count` nodes (named A, B, C…) on one key. */
export async function startCluster(count: number, key: string, mode: ClusterMode): Promise<ClusterNode[]> {
  const nodes: ClusterNode[] = [];
  for (let i = 0; i < count; i++) nodes.push(await startNode(String.fromCharCode(65 + i), key, mode));
  return nodes;
}

/** Resolves once every node's subscriptions requested so far are active (per-room modes). */
export async function settled(nodes: AdapterNode[], nsp = "/"): Promise<void> {
  await Promise.all(nodes.map((node) => node.adapter(nsp).whenSubscribed()));
}

/** A client connected to a node, with its server-side socket and recorded events. */
export interface Member {
  node: AdapterNode;
  client: ClientSocket;
  server: ServerSocket;
  rec: Awaited<ReturnType<typeof connectRecorded>>["rec"];
  id: string;
}

/** Connects an official client (websocket only) to `node`. */
export async function member(node: AdapterNode, nsp = "/"): Promise<Member> {
  const { client, rec } = await connectRecorded(node.url(nsp));
  const id = client.id as string;
  return { node, client, rec, id, server: serverSocket(node.io.of(nsp), id) };
}

/**
 * An ordering barrier for cross-node delivery: a `marker` broadcast that travels behind what
 * `origin` published before it. For a roomcast node it is published raw on the node's own
 * publisher connection, as a foreign server would (uid "barrier"), so it reaches every server,
 * the origin included, through Redis: anything the origin's adapter wrongly delivered again
 * from its own echo would show up before it. Otherwise (an emitter, a socket.io server)
 * `origin.emit("marker")`. Returns what each member received before the marker.
 */
export async function untilMarker(origin: ClusterNode | { emit(ev: string): unknown }, members: Member[]): Promise<Array<Array<[string, ...unknown[]]>>> {
  const received = members.map((m) => m.rec.until("marker"));
  if ("pub" in origin) await publishBarrier(origin);
  else origin.emit("marker");
  return Promise.all(received);
}

async function publishBarrier(node: ClusterNode): Promise<void> {
  const packet = { type: 2, data: ["marker"], nsp: "/" };
  const opts = { rooms: [], except: [], flags: {} };
  if (node.mode.kind === "classic") {
    await node.pub.publish(`${node.key}#/#`, encode(["barrier", packet, opts]));
  } else {
    const message = { uid: "barrier", nsp: "/", type: 3, data: { packet, opts } };
    await node.pub.sPublish(`${node.key}#/#`, JSON.stringify(message));
  }
}

/** The event names each member received (for compact assertions). */
export function eventNames(received: Array<Array<[string, ...unknown[]]>>): string[][] {
  return received.map((events) => events.map((e) => e[0]));
}
