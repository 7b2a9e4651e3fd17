/**
 * Catch-all listeners of a socket (`onAny` / `onAnyOutgoing` and friends).
 */
import type { CatchAllListener } from "../typed-events.ts";

/** The two catch-all listener lists of one socket. */
export class CatchAllListeners {
  readonly incoming: CatchAllListener[] = [];
  readonly outgoing: CatchAllListener[] = [];

  /** Removes `listener` from `list`, or empties the list when no listener is given. */
  static remove(list: CatchAllListener[], listener?: CatchAllListener): void {
    if (!listener) {
      list.length = 0;
      return;
    }
    const index = list.indexOf(listener);
    if (index !== -1) list.splice(index, 1);
  }

  /** Calls the incoming listeners with `[event, ...args]`; a copy guards against removal mid-loop. */
  notifyIncoming(self: object, args: unknown[]): void {
    if (this.incoming.length > 0) CatchAllListeners.call(this.incoming, self, args);
  }

  /** Calls the outgoing listeners with `[event, ...args]`. */
  notifyOutgoing(self: object, args: unknown[]): void {
    if (this.outgoing.length > 0) CatchAllListeners.call(this.outgoing, self, args);
  }

  private static call(list: CatchAllListener[], self: object, args: unknown[]): void {
    const [event, ...rest] = args;
    for (const listener of list.slice()) listener.call(self, event as string, ...rest);
  }
}
