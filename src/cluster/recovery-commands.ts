/**
 * Every Redis command connection state recovery sends, as Lua scripts behind one typed
 * interface ({@link RecoveryCommands}). The data layout lives here and nowhere else.
 *
 * [REDIS:recovery-keys] With key K and namespace N, all keys share the hash tag `{N}` (one
 * Redis Cluster slot per namespace, so the multi-key scripts stay valid there):
 *   - `K-recovery#{N}#log`: a Stream of logged packets, one entry `m` = the broadcast message as
 *     published (`[uid, packet, opts]` msgpack) with a placeholder where the offset goes; the
 *     entry id is the packet's offset;
 *   - `K-recovery#{N}#meta`: a hash, `l` = id of the last entry, `x` = the lost boundary (an
 *     offset below it may have missed packets that are gone: trimmed by the count bound, or
 *     never logged while Redis was unreachable);
 *   - `K-recovery#{N}#session#<pid>`: a hash per session, `=i` socket id, `=d` data
 *     (msgpack), `=s` since (the last entry when the socket (re)connected), `=o` owner (a token
 *     per connected socket: only the owner writes), `=n` node, and one field `r<room>` per room.
 * Every key expires (PEXPIRE): sessions `maxDisconnectionDuration` after their socket left (a
 * bit longer while connected, refreshed), the log when nothing refreshed it for the retention.
 */
import { LuaScript, type ScriptRunner } from "./lua-script.ts";

/** Length of an offset as clients see it: `<ms, 15 digits>-<seq, 8 digits>`. */
export const OFFSET_LENGTH = 24;

/**
 * [REDIS:recovery-log] Appends one packet and publishes it with its offset, atomically, so the
 * order of the log is the order every server delivers in.
 * KEYS: log, meta. ARGV: maxPackets, retention ms, ttl ms, message, placeholder position
 * (0-based), channel, gap ("1": packets went unlogged before this one).
 */
const LOG = new LuaScript(`
local log, meta = KEYS[1], KEYS[2]
local id = redis.call('XADD', log, '*', 'm', ARGV[4])
local excess = redis.call('XLEN', log) - tonumber(ARGV[1])
if excess > 0 then
  local gone = redis.call('XRANGE', log, '-', '+', 'COUNT', excess)
  redis.call('HSET', meta, 'x', gone[#gone][1])
  redis.call('XTRIM', log, 'MAXLEN', ARGV[1])
end
if ARGV[7] == '1' then redis.call('HSET', meta, 'x', id) end
local t = redis.call('TIME')
local oldest = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(ARGV[2])
if oldest > 0 then redis.call('XTRIM', log, 'MINID', '~', string.format('%.0f', oldest)) end
redis.call('HSET', meta, 'l', id)
redis.call('PEXPIRE', log, ARGV[3])
redis.call('PEXPIRE', meta, ARGV[3])
local ms, seq = string.match(id, '^(%d+)-(%d+)$')
local offset = string.rep('0', 15 - #ms) .. ms .. '-' .. string.rep('0', 8 - #seq) .. seq
local pos = tonumber(ARGV[5])
local m = ARGV[4]
redis.call('PUBLISH', ARGV[6], string.sub(m, 1, pos) .. offset .. string.sub(m, pos + ${OFFSET_LENGTH + 1}))
return id
`);

/**
 * Creates a session (replacing any). KEYS: session, meta. ARGV: owner, node, sid, data, ttl,
 * since ("" = the log's last entry now), rooms…
 */
const CREATE = new LuaScript(`
local since = ARGV[6]
if since == '' then since = redis.call('HGET', KEYS[2], 'l') or '0-0' end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '=o', ARGV[1], '=n', ARGV[2], '=i', ARGV[3], '=d', ARGV[4], '=s', since)
for i = 7, #ARGV do redis.call('HSET', KEYS[1], 'r' .. ARGV[i], '') end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return since
`);

/** The owner check every write to a session starts with: -1 gone, 0 someone else's. */
const OWNED = `
local owner = redis.call('HGET', KEYS[1], '=o')
if not owner then return -1 end
if owner ~= ARGV[1] then return 0 end
`;

/** Adds ("+") or removes ("-") rooms. KEYS: session. ARGV: owner, ttl, op, rooms… */
const ROOMS = new LuaScript(`${OWNED}
for i = 4, #ARGV do
  if ARGV[3] == '+' then redis.call('HSET', KEYS[1], 'r' .. ARGV[i], '') else redis.call('HDEL', KEYS[1], 'r' .. ARGV[i]) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);

/**
 * Refreshes a session and the log's expiry, saving what is given; ttl "0" deletes the session.
 * KEYS: session, log, meta. ARGV: owner, ttl, log ttl, what (letters: d = data, s = since,
 * r = rooms replace), data, since, rooms…
 */
const SAVE = new LuaScript(`${OWNED}
if ARGV[2] == '0' then
  redis.call('DEL', KEYS[1])
  return 1
end
local what = ARGV[4]
if string.find(what, 'd', 1, true) then redis.call('HSET', KEYS[1], '=d', ARGV[5]) end
if string.find(what, 's', 1, true) then redis.call('HSET', KEYS[1], '=s', ARGV[6]) end
if string.find(what, 'r', 1, true) then
  for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
    if string.sub(field, 1, 1) == 'r' then redis.call('HDEL', KEYS[1], field) end
  end
  for i = 7, #ARGV do redis.call('HSET', KEYS[1], 'r' .. ARGV[i], '') end
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return 1
`);

/** Takes a session over (new owner) and returns its fields, or nil. KEYS: session. ARGV: owner, node, ttl. */
const RESTORE = new LuaScript(`
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return false end
redis.call('HSET', KEYS[1], '=o', ARGV[1], '=n', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return fields
`);

/**
 * [REDIS:recovery-read] The entries after an offset, the last entry and the lost boundary,
 * then a barrier message on the reader's own channel: once it arrives, every packet published
 * before the read has reached the reader too. KEYS: log, meta. ARGV: after, count, channel,
 * barrier.
 */
const READ = new LuaScript(`
local entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])
local meta = redis.call('HMGET', KEYS[2], 'l', 'x')
redis.call('PUBLISH', ARGV[3], ARGV[4])
return {meta[1] or '', meta[2] or '', entries}
`);

/** What {@link RecoveryCommands.read} returns. */
export interface LogRead {
  /** Id of the last entry ("" when the log is gone). */
  last: string;
  /** The lost boundary ("" when nothing was ever lost). */
  lost: string;
  /** `[id, message]` of each entry after the offset, oldest first. */
  entries: Array<[string, Buffer]>;
}

/** A session write's outcome: written, owned by another socket now, or gone (expired). */
export type WriteOutcome = "ok" | "taken" | "gone";

function outcome(reply: unknown): WriteOutcome {
  return reply === 1 ? "ok" : reply === 0 ? "taken" : "gone";
}

function text(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString("utf8") : String(value);
}

/** Parses the reply of READ; throws on an unexpected shape. */
function parseRead(reply: unknown): LogRead {
  if (!Array.isArray(reply) || reply.length !== 3 || !Array.isArray(reply[2])) throw new TypeError("unexpected reply to the recovery read");
  const entries: Array<[string, Buffer]> = [];
  for (const entry of reply[2] as unknown[]) {
    if (!Array.isArray(entry) || !Array.isArray(entry[1])) throw new TypeError("unexpected stream entry");
    const fields = entry[1] as unknown[];
    const at = fields.findIndex((f, i) => i % 2 === 0 && text(f) === "m");
    const message = fields[at + 1];
    if (at < 0 || !Buffer.isBuffer(message)) throw new TypeError("stream entry without a message");
    entries.push([text(entry[0]), message]);
  }
  return { last: text(reply[0]), lost: text(reply[1]), entries };
}

/** The Redis keys of one namespace's recovery data. */
export class RecoveryKeys {
  /** The Stream of logged packets. */
  readonly log: string;
  /** The hash of log metadata (last entry, lost boundary). */
  readonly meta: string;
  private readonly sessionPrefix: string;

  /**
   * @param key - the adapter's key (channel prefix).
   * @param nsp - the namespace name.
   */
  constructor(key: string, nsp: string) {
    const base = `${key}-recovery#{${nsp}}#`;
    this.log = `${base}log`;
    this.meta = `${base}meta`;
    this.sessionPrefix = `${base}session#`;
  }

  /** The key of session `pid`. */
  session(pid: string): string {
    return this.sessionPrefix + pid;
  }
}

/**
 * The recovery commands of one namespace. Every method sends one script; none throws
 * synchronously.
 */
export class RecoveryCommands {
  private readonly runner: ScriptRunner;
  private readonly keys: RecoveryKeys;

  /**
   * @param runner - runs the scripts (on the publisher connection).
   * @param keys - the namespace's keys.
   */
  constructor(runner: ScriptRunner, keys: RecoveryKeys) {
    this.runner = runner;
    this.keys = keys;
  }

  /** Appends and publishes a packet; resolves with its entry id. */
  log(message: Buffer, placeholderAt: number, channel: string, gap: boolean, maxPackets: number, retention: number, ttl: number): Promise<unknown> {
    const args = [String(maxPackets), String(retention), String(ttl), message, String(placeholderAt), channel, gap ? "1" : "0"];
    return this.runner.run(LOG, [this.keys.log, this.keys.meta], args);
  }

  /** Creates session `pid`; resolves with its `since`. */
  async create(pid: string, owner: string, node: string, sid: string, data: Buffer, ttl: number, since: string, rooms: Iterable<string>): Promise<string> {
    const args = [owner, node, sid, data, String(ttl), since, ...rooms];
    return text(await this.runner.run(CREATE, [this.keys.session(pid), this.keys.meta], args));
  }

  /** Adds or removes rooms of session `pid`. */
  async rooms(pid: string, owner: string, ttl: number, op: "+" | "-", rooms: Iterable<string>): Promise<WriteOutcome> {
    return outcome(await this.runner.run(ROOMS, [this.keys.session(pid)], [owner, String(ttl), op, ...rooms]));
  }

  /**
   * Refreshes session `pid` (and the log's expiry) and saves what is given: `ttl` 0 deletes it.
   *
   * @param save - `data` (msgpack), `since`, `rooms` (replacing all of them), each optional.
   */
  async save(pid: string, owner: string, ttl: number, logTtl: number, save: { data?: Buffer; since?: string; rooms?: Iterable<string> }): Promise<WriteOutcome> {
    const what = (save.data !== undefined ? "d" : "") + (save.since !== undefined ? "s" : "") + (save.rooms !== undefined ? "r" : "");
    const args = [owner, String(ttl), String(logTtl), what, save.data ?? "", save.since ?? "", ...(save.rooms ?? [])];
    return outcome(await this.runner.run(SAVE, [this.keys.session(pid), this.keys.log, this.keys.meta], args));
  }

  /** Takes session `pid` over; resolves with its fields, or undefined when there is none. */
  async restore(pid: string, owner: string, node: string, ttl: number): Promise<Map<string, Buffer> | undefined> {
    const reply = await this.runner.run(RESTORE, [this.keys.session(pid)], [owner, node, String(ttl)]);
    if (!Array.isArray(reply)) return undefined;
    const fields = new Map<string, Buffer>();
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const value: unknown = reply[i + 1];
      fields.set(text(reply[i]), Buffer.isBuffer(value) ? value : Buffer.from(String(value)));
    }
    return fields;
  }

  /** Reads the entries after `after` (at most `count`) and publishes `barrier` on `channel`. */
  async read(after: string, count: number, channel: string, barrier: string): Promise<LogRead> {
    return parseRead(await this.runner.run(READ, [this.keys.log, this.keys.meta], [after, String(count), channel, barrier]));
  }
}
