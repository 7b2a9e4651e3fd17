/**
 * Helpers of the Redis recovery suites: a roomcast server with recovery on, joined to a cluster
 * key over node-redis on the shared Redis, and an official client through a switchable proxy.
 */
import { createRedisAdapter, type RedisAdapterOptions } from "../../src/index.ts";
import type { RedisAdapter } from "../../src/cluster/redis-adapter.ts";
import type { RedisRecovery } from "../../src/recovery/redis-recovery.ts";
import { onCleanup, startServer, type ClientOpts, type TestServer } from "../support/harness.ts";
import type { ServerSocket } from "../support/server.ts";
import { redisClient, type RedisClient } from "../cluster/support.ts";
import type { TcpProxy } from "./proxy.ts";
import { recorded, type Recorded } from "./support.ts";

/** A server of the cluster, with its adapter and recovery of "/". */
export interface RecoveryNode extends TestServer {
  adapter: RedisAdapter;
  recovery: RedisRecovery;
}

export type NodeOptions = { recovery?: Record<string, unknown>; adapter?: RedisAdapterOptions; pub?: RedisClient; sub?: RedisClient; server?: Record<string, unknown> };

/** A roomcast server with recovery on, joined to the cluster `key`; new sockets join "a", a middleware sets data.user. */
export async function node(key: string, opts: NodeOptions = {}): Promise<RecoveryNode> {
  const pub = opts.pub ?? (await redisClient());
  const sub = opts.sub ?? (await redisClient());
  const srv = await startServer({
    adapter: createRedisAdapter(pub, sub, { key, ...opts.adapter }),
    connectionStateRecovery: opts.recovery ?? {},
    ...opts.server,
  });
  srv.io.use((socket, next) => {
    (socket.data as Record<string, unknown>).user = socket.handshake.auth.user ?? "nobody";
    next();
  });
  srv.io.on("connection", (socket: ServerSocket) => {
    if (!socket.recovered) void socket.join("a");
  });
  const adapter = srv.io.of("/").adapter as RedisAdapter;
  adapter.on("error", () => {});
  onCleanup(() => adapter.close());
  await adapter.init();
  return { ...srv, adapter, recovery: adapter.recovery as RedisRecovery };
}

/** An official client through `proxy`, recorded; resolves with its server-side socket on `srv`. */
export async function client(proxy: TcpProxy, srv: TestServer, opts: ClientOpts = {}): Promise<Recorded & { socket: ServerSocket }> {
  const next = new Promise<ServerSocket>((resolve) => srv.io.once("connection", resolve));
  const rec = await recorded(`http://127.0.0.1:${proxy.port}`, { auth: { user: "alice" }, ...opts });
  return { ...rec, socket: await next };
}

