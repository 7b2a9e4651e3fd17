/**
 * The number of servers in a Redis adapter cluster: each server's adapter holds one
 * subscription to its namespace's request channel (classic) or namespace channel (sharded), so
 * the subscribers of that channel are the servers, this one included (the method
 * `@socket.io/redis-adapter` uses).
 *
 * On a Redis Cluster, `PUBSUB NUMSUB` and `PUBSUB SHARDNUMSUB` answer for the node asked only:
 * a classic subscription lives on whichever node the subscriber connection chose (a master or a
 * replica), a sharded one on the node serving the channel's slot. Every node is therefore asked
 * and the counts are added (the other nodes answer 0). `@socket.io/redis-adapter` adds the
 * masters' counts with node-redis, missing subscribers connected to replicas; here replicas are
 * asked too.
 */
import type { RedisConnection } from "./redis-connection.ts";

/** One node's `[channel, count]` answer as a count (RESP2 and RESP3 both answer a flat array). */
function countOf(reply: unknown, command: string): number {
  const count = Array.isArray(reply) ? Number(reply[1]) : Number.NaN;
  if (!Number.isInteger(count) || count < 0) throw new TypeError(`unexpected PUBSUB ${command} reply`);
  return count;
}

/**
 * The subscribers of `channel` across every node.
 *
 * @param client - the publishing connection.
 * @param command - `NUMSUB` (classic channels) or `SHARDNUMSUB` (sharded channels).
 * @param channel - the channel every server holds.
 * @throws TypeError when a node answers something else than `[channel, count]`.
 */
export async function countSubscribers(client: RedisConnection, command: "NUMSUB" | "SHARDNUMSUB", channel: string): Promise<number> {
  const replies = await client.commandOnEveryNode(["PUBSUB", command, channel]);
  let total = 0;
  for (const reply of replies) total += countOf(reply, command);
  return total;
}
