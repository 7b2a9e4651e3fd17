/**
 * The immutable broadcast builder behind `io.to(...)`, `socket.broadcast`, `nsp.except(...)`.
 */
import { PacketType } from "../protocol/packet.ts";
import type { Packet } from "../protocol/packet.ts";
import { isReservedEvent } from "../protocol/validation.ts";
import type { AllButLast, DefaultEventsMap, EventNames, EventParams, EventsMap } from "../typed-events.ts";
import type { Adapter } from "./adapter.ts";
import { BroadcastAck } from "./broadcast-ack.ts";
import { RemoteSocket } from "./remote-socket.ts";
import type { BroadcastFlags, BroadcastOptions, Room, SocketId } from "./types.ts";

type BroadcastCallback = (err: Error | null, responses: unknown) => void;

function isCallback(value: unknown): value is BroadcastCallback {
  return typeof value === "function";
}

function assertNotReserved(ev: string | symbol): void {
  if (typeof ev === "string" && isReservedEvent(ev)) {
    throw new Error(`"${ev}" is a reserved event name`);
  }
}

/**
 * Targets sockets by room and emits to them, or fetches, moves or disconnects them.
 *
 * Every modifier (`to`, `in`, `except`, `volatile`, `local`, `compress`, `timeout`) returns a
 * new operator and leaves this one as it was, so a partially built operator can be kept and
 * reused. Chained `to`/`in` calls target the union of their rooms; chained `except` calls
 * exclude the union of theirs.
 *
 * @typeParam EmitEvents - the events that may be emitted, with their argument lists.
 * @typeParam SocketData - the type of `socket.data`, as seen through {@link fetchSockets}.
 *
 * @example
 * const lobby = new BroadcastOperator(adapter).to("lobby");
 * lobby.except("muted").emit("chat", "hello"); // `lobby` itself still targets "muted" too
 * const answers = await lobby.timeout(1000).emitWithAck("ping");
 */
export class BroadcastOperator<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = unknown> {
  private readonly adapter: Adapter;
  private readonly rooms: Set<Room>;
  private readonly exceptRooms: Set<Room>;
  private readonly flags: BroadcastFlags;

  /**
   * @param adapter - the adapter of the namespace to act on.
   * @param rooms - target rooms (default: none, meaning every socket). Not copied: do not mutate it afterwards.
   * @param exceptRooms - rooms whose sockets are excluded (default: none). Not copied either.
   * @param flags - broadcast flags (default: none).
   */
  constructor(
    adapter: Adapter,
    rooms: Set<Room> = new Set<Room>(),
    exceptRooms: Set<Room> = new Set<Room>(),
    flags: BroadcastFlags = {},
  ) {
    this.adapter = adapter;
    this.rooms = rooms;
    this.exceptRooms = exceptRooms;
    this.flags = flags;
  }

  /**
   * Targets the sockets in `room` as well (a union with the rooms already targeted).
   *
   * @example
   * op.to("room1").to(["room2", "room3"]).emit("news"); // each socket once
   */
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator(this.adapter, withRooms(this.rooms, room), this.exceptRooms, this.flags);
  }

  /** Same as {@link to}. */
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.to(room);
  }

  /**
   * Excludes the sockets in `room` (added to the rooms already excluded).
   *
   * @example
   * op.except("banned").emit("news");
   */
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator(this.adapter, this.rooms, withRooms(this.exceptRooms, room), this.flags);
  }

  /** Drops the packet for recipients that cannot take it right now. */
  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.withFlags({ ...this.flags, volatile: true });
  }

  /** Stays on this node: a cluster adapter does not forward the operation. */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.withFlags({ ...this.flags, local: true });
  }

  /** Sets whether the packet may be compressed. */
  compress(flag: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.withFlags({ ...this.flags, compress: flag });
  }

  /**
   * Sets how long `emit` with an acknowledgement waits for every client.
   *
   * @example
   * op.timeout(5000).emit("question", (err, answers) => {
   *   if (err) console.log("missing answers; got", answers);
   * });
   */
  timeout(ms: number): BroadcastOperator<EmitEvents, SocketData> {
    return this.withFlags({ ...this.flags, timeout: ms });
  }

  /**
   * Emits an event to every targeted socket.
   *
   * If the last argument is a function it is an acknowledgement callback, called once with
   * `(null, responses)` when every targeted client of every server has answered (one response
   * per client: its first acknowledgement argument), or `(error, responsesSoFar)` if the
   * {@link timeout} passes first. Zero recipients complete at once with `(null, [])`.
   * Without a timeout the callback waits for every answer (a client that disconnects without
   * answering keeps it pending) — indefinitely in memory, up to `requestsTimeout` on a cluster
   * (`Adapter.ackTimeout`) — where socket.io times out at once. With the `expectSingleResponse` flag the callback receives the single response
   * (or null on timeout) instead of an array.
   *
   * @throws Error when `ev` is a reserved event name (connect, disconnect, …).
   * @returns true.
   *
   * @example
   * io.to("lobby").emit("chat", "hello");
   * io.timeout(1000).emit("ping", (err, responses) => {});
   */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    const data: unknown[] = [ev];
    for (const arg of args) data.push(arg);
    return this.emitData(data);
  }

  /**
   * @internal `emit` without the event-map typing: `data` is `[name, ...args]`, possibly
   * ending with an ack callback. Used for `send` (the `message` event) and by `emit`.
   */
  emitData(data: unknown[]): boolean {
    assertNotReserved(data[0] as string);
    const last = data[data.length - 1];
    if (data.length > 1 && isCallback(last)) {
      data.pop();
      const single = this.flags.expectSingleResponse === true;
      this.emitWithCallback(data, (err, responses) => {
        if (!single) last(err, responses);
        else last(err, err === null ? responses[0] : null);
      });
      return true;
    }
    const packet: Packet = { type: PacketType.EVENT, nsp: this.adapter.nsp.name, data };
    countBroadcast(this.adapter);
    this.adapter.broadcast(packet, this.options());
    return true;
  }

  /**
   * Emits an event asking every targeted client for an acknowledgement, as a Promise.
   *
   * Resolves with one response per client (always an array, whatever the flags); rejects with
   * a {@link BroadcastTimeoutError} (its `responses` holds those received) when the
   * {@link timeout} passes first. Without a timeout it waits as `emit` does (`Adapter.ackTimeout`).
   *
   * @throws Error when `ev` is a reserved event name.
   *
   * @example
   * const responses = await io.timeout(1000).emitWithAck("ping");
   */
  emitWithAck<Ev extends EventNames<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<unknown[]> {
    assertNotReserved(ev);
    const data: unknown[] = [ev];
    for (const arg of args) data.push(arg);
    return new Promise<unknown[]>((resolve, reject) => {
      this.emitWithCallback(data, (err, responses) => {
        if (err === null) resolve(responses);
        else reject(err);
      });
    });
  }

  /**
   * Fetches the targeted sockets, on every server.
   *
   * Each is a {@link RemoteSocket}: a snapshot of id, handshake, rooms and data, whose
   * methods act through the adapter (so they also reach sockets of other servers).
   *
   * @example
   * for (const socket of await io.in("lobby").fetchSockets()) socket.emit("hi");
   */
  async fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    const details = await this.adapter.fetchSockets(this.options());
    return details.map((socket) => new RemoteSocket<EmitEvents, SocketData>(this.adapter, socket));
  }

  /**
   * The ids of the targeted sockets (rooms, minus except rooms), on every server.
   *
   * @example
   * const ids = await io.in("lobby").except("muted").allSockets();
   */
  async allSockets(): Promise<Set<SocketId>> {
    if (this.exceptRooms.size === 0) return this.adapter.sockets(this.rooms);
    // Through adapter.sockets twice (not this process's maps) so cluster adapters see both.
    const [ids, excluded] = await Promise.all([
      this.adapter.sockets(this.rooms),
      this.adapter.sockets(this.exceptRooms),
    ]);
    for (const id of excluded) ids.delete(id);
    return ids;
  }

  /**
   * Makes the targeted sockets join `room`.
   *
   * @example
   * io.in("lobby").socketsJoin("game-1");
   */
  socketsJoin(room: Room | Room[]): void {
    this.adapter.addSockets(this.options(), Array.isArray(room) ? room : [room]);
  }

  /**
   * Makes the targeted sockets leave `room`.
   *
   * @example
   * io.in("game-1").socketsLeave("game-1");
   */
  socketsLeave(room: Room | Room[]): void {
    this.adapter.delSockets(this.options(), Array.isArray(room) ? room : [room]);
  }

  /**
   * Disconnects the targeted sockets.
   *
   * @param close - also close the underlying connections (default false).
   *
   * @example
   * io.in("game-1").disconnectSockets(true);
   */
  disconnectSockets(close = false): void {
    this.adapter.disconnectSockets(this.options(), close);
  }

  private withFlags(flags: BroadcastFlags): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator(this.adapter, this.rooms, this.exceptRooms, flags);
  }

  private options(): BroadcastOptions {
    return { rooms: this.rooms, except: this.exceptRooms, flags: this.flags };
  }

  private emitWithCallback(data: unknown[], callback: (err: Error | null, responses: unknown[]) => void): void {
    const adapter = this.adapter;
    const packet: Packet = { type: PacketType.EVENT, nsp: adapter.nsp.name, data };
    countBroadcast(adapter);
    const tracker = new BroadcastAck(callback, adapter.ackTimeout(this.flags), () => {
      // The adapter stamped the packet with its ack id; make late answers find nothing.
      const id = packet.id;
      if (id === undefined) return;
      for (const socket of adapter.nsp.sockets.values()) socket.releaseAck?.(id);
    });
    adapter.broadcastWithAck(packet, this.options(), tracker.onClientCount, tracker.onResponse);
    // A local broadcast is answered by this server only, whatever the cluster's size.
    const servers = this.flags.local === true ? Promise.resolve(1) : adapter.serverCount();
    servers.then(
      (count) => tracker.onServerCount(count),
      (err: unknown) => tracker.fail(err instanceof Error ? err : new Error(String(err))),
    );
  }
}

/** One broadcast emitted on this server, whatever its recipients (a null check when metrics are off). */
function countBroadcast(adapter: Adapter): void {
  const metrics = adapter.nsp.metrics;
  if (metrics) metrics.broadcasts++;
}

/** A copy of `current` with `room` added. */
function withRooms(current: Set<Room>, room: Room | Room[]): Set<Room> {
  const next = new Set(current);
  if (Array.isArray(room)) {
    for (const r of room) next.add(r);
  } else {
    next.add(room);
  }
  return next;
}
