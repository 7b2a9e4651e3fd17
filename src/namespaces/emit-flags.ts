/**
 * A socket's emit API around one primitive (`emitData`), as a base class of {@link Socket}:
 * the modifiers of the next emit (`volatile`, `compress`, `timeout`), set by chaining and
 * taken (and reset) by the emit that follows, and the emits built on `emitData`.
 */
import type { BroadcastFlags } from "../rooms/types.ts";
import type { AllButLast, AnyListener, EventNames, EventParams, EventsMap, FirstArg, Last, MessageArgs } from "../typed-events.ts";
import { CatchAllEmitter } from "./catch-all.ts";

/**
 * The flags of a socket with none set. Shared and frozen: a socket only gets an object of its
 * own when a flag is set (`volatile`, `compress`, `timeout`), so most sockets never allocate one.
 */
const NO_FLAGS: BroadcastFlags = Object.freeze({});

/**
 * An emitter whose next emit can be modified by chained flags.
 *
 * @example
 * socket.volatile.compress(false).emit("tick", Date.now());
 */
export abstract class FlaggedEmitter<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ReservedEvents extends EventsMap = Record<never, AnyListener>,
> extends CatchAllEmitter<ListenEvents, ReservedEvents> {
  /** The flags of the next emit. */
  protected flags: BroadcastFlags = NO_FLAGS;

  /** Sends `[name, ...args]` (maybe ending with an ack callback) with the flags taken. */
  protected abstract emitData(data: unknown[]): boolean;

  /**
   * Emits and resolves with the client's acknowledgement. After `timeout(ms)`, rejects when
   * the client does not answer in time.
   */
  emitWithAck<Ev extends EventNames<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<FirstArg<Last<EventParams<EmitEvents, Ev>>>> {
    const withError = this.flags.timeout !== undefined;
    return new Promise((resolve, reject) => {
      const callback = (first: unknown, second?: unknown) => {
        if (!withError) return resolve(first as FirstArg<Last<EventParams<EmitEvents, Ev>>>);
        if (first) return reject(first);
        resolve(second as FirstArg<Last<EventParams<EmitEvents, Ev>>>);
      };
      this.emitData([String(ev), ...args, callback]);
    });
  }

  /** Sends a `message` event. */
  send(...args: MessageArgs<EmitEvents>): this {
    this.emitData(["message", ...args]);
    return this;
  }

  /** Alias of `send`. */
  write(...args: MessageArgs<EmitEvents>): this {
    return this.send(...args);
  }

  /** The next emit may be dropped if the client cannot take it right now. */
  get volatile(): this {
    this.ownFlags().volatile = true;
    return this;
  }

  /** Sets per-message compression for the next emit. */
  compress(compress: boolean): this {
    this.ownFlags().compress = compress;
    return this;
  }

  /** The next emit's ack fails with an Error after `ms` without an answer. */
  timeout(ms: number): this {
    this.ownFlags().timeout = ms;
    return this;
  }

  /** The flags of the next emit, handed over: the following emit starts with none. */
  protected takeFlags(): BroadcastFlags {
    const flags = this.flags;
    this.flags = NO_FLAGS;
    return flags;
  }

  /** The flags of the next emit, as an object of this socket's own (never the shared NO_FLAGS). */
  private ownFlags(): BroadcastFlags {
    if (this.flags === NO_FLAGS) this.flags = {};
    return this.flags;
  }
}
