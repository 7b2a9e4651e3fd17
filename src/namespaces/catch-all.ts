/**
 * Catch-all listeners of a socket (`onAny` / `onAnyOutgoing` and friends), as a base class of
 * {@link Socket}. Each list is created on its first listener: most sockets never have one.
 */
import { StrictEventEmitter, type AnyListener, type CatchAllListener, type EventsMap } from "../typed-events.ts";

/** Removes `listener` from `list`, or empties the list when no listener is given. */
function remove(list: CatchAllListener[] | null, listener: CatchAllListener | undefined): void {
  if (list === null) return;
  if (!listener) {
    list.length = 0;
    return;
  }
  const index = list.indexOf(listener);
  if (index !== -1) list.splice(index, 1);
}

/** Calls each listener with `[event, ...args]`; a copy guards against removal mid-loop. */
function notify(list: CatchAllListener[], self: object, args: unknown[]): void {
  const [event, ...rest] = args;
  for (const listener of list.slice()) listener.call(self, event as string, ...rest);
}

/**
 * An event emitter with socket.io's catch-all listeners: incoming (every event received) and
 * outgoing (every event this socket emits directly).
 *
 * @example
 * ```ts
 * socket.onAny((event, ...args) => console.log("in", event, args));
 * socket.onAnyOutgoing((event) => console.log("out", event));
 * ```
 */
export abstract class CatchAllEmitter<
  ListenEvents extends EventsMap,
  ReservedEvents extends EventsMap = Record<never, AnyListener>,
> extends StrictEventEmitter<ListenEvents, ReservedEvents> {
  private anyIncoming: CatchAllListener[] | null = null;
  private anyOutgoing: CatchAllListener[] | null = null;
  /** The counter this emitter is counted in (see {@link outgoingCounter}), or null. */
  private countedIn: { outgoingObservers: number } | null = null;

  /** Listens to every incoming event. */
  onAny(listener: CatchAllListener): this {
    (this.anyIncoming ??= []).push(listener);
    return this;
  }

  /** Listens to every incoming event, before the other catch-all listeners. */
  prependAny(listener: CatchAllListener): this {
    (this.anyIncoming ??= []).unshift(listener);
    return this;
  }

  /** Removes one catch-all listener, or all of them. */
  offAny(listener?: CatchAllListener): this {
    remove(this.anyIncoming, listener);
    return this;
  }

  /** The incoming catch-all listeners. */
  listenersAny(): CatchAllListener[] {
    return this.anyIncoming === null ? [] : [...this.anyIncoming];
  }

  /** Listens to every outgoing event: this socket's emits, and the broadcasts it receives. */
  onAnyOutgoing(listener: CatchAllListener): this {
    (this.anyOutgoing ??= []).push(listener);
    this.outgoingListenersChanged();
    return this;
  }

  /** Like `onAnyOutgoing`, first in line. */
  prependAnyOutgoing(listener: CatchAllListener): this {
    (this.anyOutgoing ??= []).unshift(listener);
    this.outgoingListenersChanged();
    return this;
  }

  /** Removes one outgoing catch-all listener, or all of them. */
  offAnyOutgoing(listener?: CatchAllListener): this {
    remove(this.anyOutgoing, listener);
    this.outgoingListenersChanged();
    return this;
  }

  /** Whether some outgoing catch-all listener is registered. */
  protected hasOutgoingListeners(): boolean {
    return this.anyOutgoing !== null && this.anyOutgoing.length > 0;
  }

  /**
   * Where an emitter with outgoing listeners is counted (a connected socket: its namespace, so
   * that broadcasts know whether to notify recipients), or null for nowhere.
   */
  protected outgoingCounter(): { outgoingObservers: number } | null {
    return null;
  }

  /** Keeps the count right; called after the listeners changed and when the counter may have. */
  protected outgoingListenersChanged(): void {
    const target = this.hasOutgoingListeners() ? this.outgoingCounter() : null;
    if (target === this.countedIn) return;
    if (this.countedIn !== null) this.countedIn.outgoingObservers--;
    if (target !== null) target.outgoingObservers++;
    this.countedIn = target;
  }

  /**
   * @internal Calls the outgoing listeners with a broadcast packet this socket is about to
   * receive (socket.io's name; the adapter calls it only when the namespace has observers).
   */
  notifyOutgoingListeners(packet: { data?: unknown }): void {
    if (this.hasOutgoingListeners()) notify(this.anyOutgoing as CatchAllListener[], this, packet.data as unknown[]);
  }

  /** The outgoing catch-all listeners. */
  listenersAnyOutgoing(): CatchAllListener[] {
    return this.anyOutgoing === null ? [] : [...this.anyOutgoing];
  }

  /** Calls the incoming catch-all listeners with `[event, ...args]`. */
  protected notifyIncoming(args: unknown[]): void {
    if (this.anyIncoming !== null && this.anyIncoming.length > 0) notify(this.anyIncoming, this, args);
  }

  /** Calls the outgoing catch-all listeners with `[event, ...args]`. */
  protected notifyOutgoing(args: unknown[]): void {
    if (this.anyOutgoing !== null && this.anyOutgoing.length > 0) notify(this.anyOutgoing, this, args);
  }
}
