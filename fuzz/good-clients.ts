/**
 * Well-behaved official clients connected to the target for the whole run (invariant 2): one
 * WebSocket-only, one default (long-polling, then upgraded to WebSocket). After every case the
 * server broadcasts a tick that each of them must receive; a disconnection at any time is a
 * failure.
 */
import { io as connectClient, type Socket } from "socket.io-client";
import type { Target } from "./target.ts";
import { withDeadline } from "./deadline.ts";

/** How long a good client may take to connect (and upgrade) or to receive a broadcast. */
const GOOD_CLIENT_WAIT_MS = 10_000;

interface GoodClient {
  name: string;
  socket: Socket;
  ticks: Set<number>;
  tickWaiters: Map<number, () => void>;
}

/** The good clients of one target. */
export class GoodClients {
  /** Why a good client was lost (disconnected), once one was. */
  lost: string | undefined;

  private constructor(private readonly clients: GoodClient[]) {
    for (const c of clients) {
      c.socket.on("disconnect", (reason: string) => {
        this.lost ??= `the good ${c.name} client was disconnected: ${reason}`;
      });
      c.socket.on("fuzz:tick", (tick: number) => {
        c.ticks.add(tick);
        c.tickWaiters.get(tick)?.();
      });
    }
  }

  /** Connects both clients (the default one until it has upgraded). */
  static async connect(target: Target): Promise<GoodClients> {
    const url = `http://127.0.0.1:${target.port}`;
    const common = { path: target.path, forceNew: true, reconnection: false } as const;
    const made: GoodClient[] = [
      { name: "WebSocket", socket: connectClient(url, { ...common, transports: ["websocket"] }), ticks: new Set(), tickWaiters: new Map() },
      { name: "polling→WebSocket", socket: connectClient(url, { ...common, transports: ["polling", "websocket"] }), ticks: new Set(), tickWaiters: new Map() },
    ];
    try {
      await withDeadline(
        Promise.all(made.map((c) => connected(c.socket))),
        GOOD_CLIENT_WAIT_MS,
        "the good clients did not connect",
      );
      const upgrading = made[1]!.socket.io.engine;
      if (upgrading.transport.name !== "websocket") {
        await withDeadline(
          new Promise<void>((resolve) => upgrading.once("upgrade", () => resolve())),
          GOOD_CLIENT_WAIT_MS,
          "the default good client did not upgrade to WebSocket",
        );
      }
    } catch (err) {
      for (const c of made) c.socket.disconnect();
      throw err;
    }
    return new GoodClients(made);
  }

  /**
   * Has the server broadcast `tick` and awaits it on every good client.
   *
   * @returns why the invariant broke, or undefined when it holds.
   */
  async checkBroadcast(target: Target, tick: number): Promise<string | undefined> {
    if (this.lost) return this.lost;
    const arrivals = this.clients.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.ticks.has(tick)) resolve();
          else c.tickWaiters.set(tick, resolve);
        }),
    );
    try {
      await target.broadcast(tick);
      await withDeadline(Promise.all(arrivals), GOOD_CLIENT_WAIT_MS, "");
    } catch (err) {
      const missing = this.clients.filter((c) => !c.ticks.has(tick)).map((c) => c.name);
      return this.lost ?? `broadcast ${tick} did not reach the good ${missing.join(" and ")} client(s) within ${GOOD_CLIENT_WAIT_MS} ms${err instanceof Error && err.message ? ` (${err.message})` : ""}`;
    } finally {
      for (const c of this.clients) {
        c.tickWaiters.delete(tick);
        c.ticks.delete(tick);
      }
    }
    return this.lost;
  }

  /** Disconnects both clients. */
  close(): void {
    for (const c of this.clients) {
      c.socket.removeAllListeners("disconnect");
      c.socket.disconnect();
    }
  }
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", (err: Error) => reject(err));
  });
}
