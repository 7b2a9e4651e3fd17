/**
 * Lua scripts run through a {@link RedisConnection}: the only command surface of connection
 * state recovery (src/cluster/recovery-commands.ts), so every client kind the adapters accept
 * (node-redis or ioredis, one Redis or a Redis Cluster) runs them the same way.
 */
import { createHash } from "node:crypto";
import type { RedisConnection } from "./redis-connection.ts";

/** A Lua script, run by its SHA1 (`EVALSHA`) once Redis holds it, sent whole (`EVAL`) before. */
export class LuaScript {
  /** The script's source. */
  readonly source: string;
  /** Its SHA1, as Redis names it. */
  readonly sha: string;

  /** @param source - the Lua source. */
  constructor(source: string) {
    this.source = source;
    this.sha = createHash("sha1").update(source).digest("hex");
  }
}

/**
 * Runs Lua scripts. Replies: bulk strings as Buffers, integers as numbers, nil as null, arrays
 * as arrays.
 */
export interface ScriptRunner {
  /**
   * Runs `script` with `keys` (on a Redis Cluster they must hash to one slot: the script is
   * routed by the first) and `args`; rejects with the client's error.
   */
  run(script: LuaScript, keys: readonly string[], args: ReadonlyArray<string | Buffer>): Promise<unknown>;
}

/**
 * A {@link ScriptRunner} over `connection`, for scripts whose keys all live on one node (one
 * slot): which scripts that node holds is tracked per runner, so on a Redis Cluster a runner
 * per slot (per namespace, for recovery) learns its own node's script cache.
 *
 * A script is sent whole (`EVAL`) the first time and after a NOSCRIPT error (Redis restarted,
 * flushed its scripts, or a replica took over), by its SHA1 (`EVALSHA`) otherwise. A call that
 * fails with NOSCRIPT is not retried: commands already sent behind it keep their order, and the
 * caller treats it like every other failed write.
 */
export function connectionScripts(connection: RedisConnection): ScriptRunner {
  const loaded = new Set<LuaScript>();
  return {
    run(script, keys, args) {
      const head = loaded.has(script) ? ["EVALSHA", script.sha] : ["EVAL", script.source];
      // Marked before the answer: the commands sent next on the same connection reach Redis
      // after this EVAL, which loads the script.
      loaded.add(script);
      const sent = connection.command([...head, String(keys.length), ...keys, ...args], keys[0], { buffers: true });
      return sent.catch((err: unknown) => {
        if (err instanceof Error && err.message.startsWith("NOSCRIPT")) loaded.delete(script);
        throw err;
      });
    },
  };
}
