/**
 * The `connectionStateRecovery` server option: its shape, its defaults and its validation.
 */

/**
 * What `new Server(…, { connectionStateRecovery })` accepts (socket.io 4.6+'s option, plus
 * `maxPackets`). An empty object turns recovery on with the defaults.
 *
 * @example
 * const io = new Server(httpServer, { connectionStateRecovery: { maxDisconnectionDuration: 60_000 } });
 */
export interface ConnectionStateRecoveryOptions {
  /** How long (ms) a disconnected client may come back and resume its session. Default 120000. */
  maxDisconnectionDuration?: number;
  /** Whether a resumed socket skips the namespace middlewares. Default true. */
  skipMiddlewares?: boolean;
  /**
   * The most packets kept per namespace for replay; the oldest leave first. A client whose
   * missed packets left the log is not resumed (it connects anew). Default 10000.
   */
  maxPackets?: number;
  /**
   * The most disconnected sessions kept per namespace in memory; past it, the oldest is
   * forgotten (its client connects anew if it comes back). Time alone does not bound them: a
   * client connecting and dropping in a loop would leave one per connection for
   * `maxDisconnectionDuration`. With the Redis adapter, sessions are Redis keys bounded by
   * their expiry (and Redis' `maxmemory`), not by this count. Default 100000.
   */
  maxSessions?: number;
}

/** The option with its defaults filled in, plus what the server derives from its heartbeat. */
export interface RecoveryOptions {
  readonly maxDisconnectionDuration: number;
  readonly skipMiddlewares: boolean;
  readonly maxPackets: number;
  readonly maxSessions: number;
  /**
   * How long (ms) a packet stays in the log: `maxDisconnectionDuration` plus twice the time
   * the heartbeat may take to notice a dead connection (pingInterval + pingTimeout): the
   * packets a client missed may have been sent that long before the server saw it go (once for
   * the detection, once more for packets queued behind a slow connection). A packet older than
   * that was delivered, or its connection would have been found dead.
   */
  readonly retention: number;
}

/** The defaults, as socket.io's (maxPackets and maxSessions are roomcast's own bounds). */
export const RECOVERY_DEFAULTS = {
  maxDisconnectionDuration: 120_000,
  skipMiddlewares: true,
  maxPackets: 10_000,
  maxSessions: 100_000,
} as const;

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`roomcast: connectionStateRecovery.${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/**
 * Validates the option (at construction, with the other Socket.IO options). `undefined` or
 * `false` (recovery off) gives undefined, an object its values with the defaults filled in.
 *
 * @throws TypeError on a value that is not an object, an unknown key, or a bad number.
 */
export function checkRecoveryOption(value: unknown): Omit<RecoveryOptions, "retention"> | undefined {
  if (value === undefined || value === false) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError("roomcast: option connectionStateRecovery must be an object ({} for the defaults) or false");
  }
  const given = value as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!(key in RECOVERY_DEFAULTS)) {
      throw new TypeError(`roomcast: unknown option connectionStateRecovery.${key} (it takes ${Object.keys(RECOVERY_DEFAULTS).join(", ")})`);
    }
  }
  const skip = given.skipMiddlewares;
  if (skip !== undefined && typeof skip !== "boolean") {
    throw new TypeError("roomcast: connectionStateRecovery.skipMiddlewares must be a boolean");
  }
  return {
    maxDisconnectionDuration: positive("maxDisconnectionDuration", given.maxDisconnectionDuration, RECOVERY_DEFAULTS.maxDisconnectionDuration),
    skipMiddlewares: skip ?? RECOVERY_DEFAULTS.skipMiddlewares,
    maxPackets: positive("maxPackets", given.maxPackets, RECOVERY_DEFAULTS.maxPackets),
    maxSessions: positive("maxSessions", given.maxSessions, RECOVERY_DEFAULTS.maxSessions),
  };
}

/**
 * The option resolved for the namespaces: {@link checkRecoveryOption} plus the log's retention.
 *
 * @param value - what the user passed.
 * @param heartbeatMs - pingInterval + pingTimeout of the server.
 * @throws TypeError as {@link checkRecoveryOption}.
 */
export function resolveRecoveryOptions(value: unknown, heartbeatMs: number): RecoveryOptions | undefined {
  const checked = checkRecoveryOption(value);
  if (checked === undefined) return undefined;
  return { ...checked, retention: checked.maxDisconnectionDuration + 2 * heartbeatMs };
}
