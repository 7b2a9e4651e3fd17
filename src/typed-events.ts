/**
 * Typed event maps, the same shape socket.io's generics use, without `any`.
 *
 * A map is an object type whose keys are event names and whose values are listener
 * signatures. `DefaultEventsMap` accepts every event with every argument list; a user map such
 * as `{ hello: (name: string) => void }` narrows `on` / `emit` to what it declares.
 */
import { EventEmitter } from "node:events";

/**
 * A listener signature checked bivariantly (method-shorthand rule), so that a listener written
 * as `(msg: string) => void` is accepted where the map only says `(...args: unknown[]) => void`.
 */
export type Bivariant<Args extends unknown[]> = {
  bivarianceHack(...args: Args): void;
}["bivarianceHack"];

/** Any listener signature. */
export type AnyListener = Bivariant<unknown[]>;

/** A catch-all listener (`onAny`, `onAnyOutgoing`): the event name, then its arguments. */
export type CatchAllListener = Bivariant<[event: string, ...args: unknown[]]>;

/**
 * A map of event name → listener signature. Any object type qualifies (an `interface` has no
 * implicit index signature, so requiring one would reject the maps users write); the listener
 * shapes are read through {@link EventParams}.
 */
export type EventsMap = object;

/** The map used when none is given: every event name, with every argument list. */
export interface DefaultEventsMap {
  [event: string]: AnyListener;
}

/** Event names of a map. */
export type EventNames<Map extends EventsMap> = keyof Map & (string | symbol);

/** The arguments a listener of `Ev` receives. */
export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Map[Ev] extends (...args: infer P) => unknown
  ? P
  : never;

/** The signature a listener of `Ev` has. */
export type EventListener<Map extends EventsMap, Ev extends EventNames<Map>> = Map[Ev];

/** The arguments of the `message` event (`send`/`write`), whatever the map says of it. */
export type MessageArgs<Map extends EventsMap> = "message" extends EventNames<Map> ? EventParams<Map, "message"> : unknown[];

/** Arguments of `Ev` with a trailing acknowledgement callback removed (for emitWithAck). */
export type AllButLast<T extends unknown[]> = T extends [...infer Head, infer _Last] ? Head : unknown[];

/** The last argument of an event signature (its ack callback). */
export type Last<T extends unknown[]> = T extends [...infer _Head, infer L] ? L : unknown;

/** The value an acknowledgement callback receives first (what emitWithAck resolves to). */
export type FirstArg<T> = T extends (arg: infer A, ...rest: infer _R) => unknown ? A : unknown;

/** Events a socket can be told to expect on the server side, each paired with its own reason. */
export type ReservedOrUserListener<Reserved extends EventsMap, User extends EventsMap, Ev extends string | symbol> =
  Ev extends EventNames<Reserved> ? AsListener<Reserved[Ev]> : Ev extends EventNames<User> ? AsListener<User[Ev]> : AnyListener;

/** A map entry as a listener signature (entries that are not functions accept any listener). */
export type AsListener<T> = T extends (...args: infer A) => void ? Bivariant<A> : AnyListener;

/**
 * An EventEmitter whose `on`/`once`/`off` are typed by `ListenEvents` (plus reserved lifecycle
 * events), and whose typed `emit` is left to subclasses (they decide where an emit goes:
 * to the wire, to a room, ...). `emitReserved` fires local lifecycle listeners.
 */
export abstract class StrictEventEmitter<
  ListenEvents extends EventsMap,
  ReservedEvents extends EventsMap = Record<never, AnyListener>,
> extends EventEmitter {
  override on<Ev extends EventNames<ListenEvents> | EventNames<ReservedEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return super.on(ev, listener as (...args: unknown[]) => void);
  }

  override once<Ev extends EventNames<ListenEvents> | EventNames<ReservedEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return super.once(ev, listener as (...args: unknown[]) => void);
  }

  override off<Ev extends EventNames<ListenEvents> | EventNames<ReservedEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return super.off(ev, listener as (...args: unknown[]) => void);
  }

  override addListener<Ev extends EventNames<ListenEvents> | EventNames<ReservedEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return this.on(ev, listener);
  }

  override removeListener<Ev extends EventNames<ListenEvents> | EventNames<ReservedEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return this.off(ev, listener);
  }

  /** Fires a reserved (lifecycle) event on local listeners only; never reaches the wire. */
  protected emitReserved<Ev extends EventNames<ReservedEvents>>(
    ev: Ev,
    ...args: EventParams<ReservedEvents, Ev>
  ): boolean {
    return super.emit(ev, ...args);
  }

  /**
   * Fires any event on local listeners only (used to dispatch events whose name came from the
   * network: a client's EVENT, another node's serverSideEmit).
   *
   * [SIO5:error-event] An `error` nobody listens to is dropped: EventEmitter would throw
   * ERR_UNHANDLED_ERROR, and one `42["error"]` from any client would take the process down.
   */
  protected emitUntyped(ev: string, ...args: unknown[]): boolean {
    if (ev === "error" && this.listenerCount("error") === 0) return false;
    return super.emit(ev, ...args);
  }
}
