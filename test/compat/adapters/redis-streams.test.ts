/**
 * `@socket.io/redis-streams-adapter` on roomcast, unchanged, through the shared scenario.
 *
 * The adapter reads its stream from "$" (only what is added after its first XREAD) and
 * subscribes for its requests on connections it duplicates from the one given, with no way to
 * await either. The client given here watches its duplicates: the servers are ready once every
 * duplicate has subscribed or sent its first XREAD.
 */
import { createAdapter } from "@socket.io/redis-streams-adapter";
import { describe, expect, it } from "vitest";
import { redisAvailable, redisClient, uniqueKey, type RedisClient } from "../../cluster/support.ts";
import { cleanup, waitFor } from "../../support/harness.ts";
import { startLocalNode } from "./in-process.ts";
import { describeAdapterScenario } from "./scenario.ts";

const available = await redisAvailable();

/** A connected client whose duplicates report when they are listening (see the file comment). */
async function watchedClient(): Promise<{ client: RedisClient; listening: Promise<void>[] }> {
  const client = await redisClient();
  const listening: Promise<void>[] = [];
  const duplicate = client.duplicate.bind(client);
  client.duplicate = ((...args: Parameters<RedisClient["duplicate"]>) => {
    const copy = duplicate(...args);
    let ready!: () => void;
    listening.push(new Promise<void>((resolve) => (ready = resolve)));
    // The two commands the adapter listens with, wrapped on this connection only.
    const spied = copy as unknown as Record<"xRead" | "subscribe", (...args: unknown[]) => Promise<unknown>>;
    const xRead = spied.xRead.bind(copy);
    spied.xRead = (...a) => {
      const reply = xRead(...a);
      ready();
      return reply;
    };
    const subscribe = spied.subscribe.bind(copy);
    spied.subscribe = (...a) => {
      const reply = subscribe(...a);
      // A failure is the adapter's to see (the reply is returned to it).
      reply.then(ready, () => {});
      return reply;
    };
    return copy;
  }) as typeof client.duplicate;
  return { client, listening };
}

/** Streams and channels no other run uses; short XREAD blocks so that closing is quick. */
function options(key: string) {
  return { streamName: key, channelPrefix: key, blockTimeInMs: 200 };
}

describeAdapterScenario(
  "@socket.io/redis-streams-adapter, node-redis",
  async () => {
    const key = uniqueKey("compat-streams");
    const watched = [await watchedClient(), await watchedClient()];
    const nodes = [
      await startLocalNode("A", createAdapter(watched[0]?.client, options(key))),
      await startLocalNode("B", createAdapter(watched[1]?.client, options(key))),
    ] as const;
    // createAdapter duplicates at once: one reader and one subscriber per server.
    expect(watched.map(({ listening }) => listening.length)).toEqual([2, 2]);
    await Promise.all(watched.flatMap(({ listening }) => listening));
    return { nodes: [nodes[0], nodes[1]] };
  },
  available,
);

describe.runIf(available)("@socket.io/redis-streams-adapter: an error in an asynchronous adapter method", () => {
  it("goes to the adapter's error listeners, never an unhandled rejection", async () => {
    const key = uniqueKey("compat-streams-error");
    const { client, listening } = await watchedClient();
    const node = await startLocalNode("A", createAdapter(client, options(key)));
    // Closed only once listening: a SUBSCRIBE still pending then is rejected, unhandled, by the adapter.
    await Promise.all(listening);
    const adapter = node.server.io.of("/").adapter;
    const failed = waitFor(adapter, "error");
    // ClusterAdapter.broadcast is async: the encoding of a BigInt fails after its first await
    // (with roomcast's adapter, the same emit throws to its caller).
    node.server.io.emit("big", 10n);
    const [err] = await failed;
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/not serialisable/);
    await cleanup();
  });
});
