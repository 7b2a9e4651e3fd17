/**
 * socket.io's adapter contract, both ways, in one place: what adapters built on
 * `socket.io-adapter` 2.5 (`Adapter`, `SessionAwareAdapter`, `ClusterAdapter`,
 * `ClusterAdapterWithHeartbeat`) read and call on the namespace, server, sockets and clients
 * they are given, and how roomcast calls such an adapter. `@socket.io/redis-adapter` 8.3 (classic
 * and sharded), `@socket.io/redis-streams-adapter`, `@socket.io/postgres-adapter` and
 * `@socket.io/cluster-adapter` are all built that way.
 *
 * What they read and call (each member is socket.io's name, kept as is):
 * - on the namespace: `name`, `sockets` (a Map by id), `server.encoder.encode(packet)` (taken once,
 *   in the constructor), `server.opts.connectionStateRecovery` (read by `ClusterAdapter` on every
 *   broadcast it sends or receives), `_ids++` (the ack id of a broadcast with acks) and
 *   `_onServerSideEmit([event, ...args, ack?])` (a server-side event from another node);
 * - on a socket: `id`, `client.writeToEngine(encoded, { preEncoded, volatile, compress,
 *   wsPreEncodedFrame })` once per recipient with the same `encoded` array, the optional
 *   `notifyOutgoingListeners(packet)` before it, `acks.set(id, ack)` for a broadcast with acks,
 *   `handshake`, `rooms` and `data` for `fetchSockets` (serialised for other nodes), `join`,
 *   `leave` and `disconnect` for the requests of other nodes;
 * - they keep their own `rooms` / `sids` maps and emit `create-room`, `join-room`, `leave-room`
 *   and `delete-room` themselves.
 *
 * roomcast's members of those names: `Namespace._ids`, `Namespace._onServerSideEmit`,
 * `Server.opts`, `Socket.acks` (a {@link SocketIoAckMap}), `Socket.notifyOutgoingListeners`,
 * `Client.writeToEngine` (which, when the `observed` flag of roomcast's own adapter is absent,
 * asks {@link foreignWrite} per recipient: `packetCreate` listeners and the metrics see the
 * broadcast as with roomcast's adapter). test/compat/adapters/contract.test.ts checks the types
 * below against those classes and against the packages themselves.
 *
 * The other way, roomcast calls on any adapter only the members of {@link SocketIoAdapter}, with
 * the arguments socket.io passes (`{ rooms, except, flags }`, `[event, ...args, ack?]`), except:
 * - `ackTimeout(flags)`, roomcast's own: {@link ackDeadline} and {@link ackFlags} stand in for it;
 * - results that may be promises (`ClusterAdapter.broadcast` is `async`): {@link settle} keeps a
 *   rejection from becoming an unhandled one.
 * roomcast's own adapters are recognised by their `ackTimeout` method, and keep their own hot path
 * (they set `observed` on every write, so {@link foreignWrite} never runs for them).
 */
import type { Adapter } from "../rooms/adapter.ts";
import type { AdapterConstructor } from "../rooms/adapter-constructor.ts";
import type { AckCallback, AdapterCounters, AdapterNamespace, BroadcastFlags, BroadcastOptions, Handshake, Room, SocketId } from "../rooms/types.ts";
import type { SocketDetails } from "../rooms/adapter.ts";
import type { Packet } from "../protocol/packet.ts";
import type { EncodedParts, ParserEncoder } from "../protocol/parser.ts";
import { packetCreateObserved } from "../transport/buffered-session.ts";

/** The options socket.io's adapters write a broadcast with (`socket.client.writeToEngine`). */
export interface SocketIoWriteOptions {
  /** Always true from an adapter: `encoded` is what `nsp.server.encoder.encode` returned. */
  preEncoded?: boolean;
  volatile?: boolean;
  compress?: boolean;
  /** A frame `ws` built for the text part; ignored (roomcast builds one frame per broadcast itself). */
  wsPreEncodedFrame?: unknown;
}

/** `socket.acks`, as `socket.io-adapter` uses it: the ack of a broadcast is set under the packet id. */
export interface SocketIoAckMap {
  set(id: number, ack: AckCallback): unknown;
  delete(id: number): unknown;
}

/** A socket, as socket.io's adapters use it. */
export interface SocketIoAdapterSocket {
  readonly id: SocketId;
  readonly client: { writeToEngine(encoded: EncodedParts, opts: SocketIoWriteOptions): void };
  readonly acks: SocketIoAckMap;
  readonly handshake: Handshake;
  readonly rooms: Set<Room>;
  readonly data: unknown;
  /** Called before the write when present (`onAnyOutgoing` listeners). */
  notifyOutgoingListeners?(packet: Packet): void;
  join(rooms: Room | Room[]): unknown;
  leave(room: Room): unknown;
  disconnect(close?: boolean): unknown;
}

/** `server.opts`, as socket.io's adapters read it. */
export interface SocketIoServerOpts {
  /**
   * Truthy when connection state recovery is on: `ClusterAdapter` then appends an offset to the
   * broadcasts it delivers, and `SessionAwareAdapter` / the Redis streams adapter read its
   * `maxDisconnectionDuration`. roomcast has no recovery yet, so it is always undefined.
   */
  readonly connectionStateRecovery?: unknown;
}

/** A namespace, as socket.io's adapters use it. */
export interface SocketIoAdapterNamespace {
  readonly name: string;
  readonly sockets: ReadonlyMap<SocketId, SocketIoAdapterSocket>;
  readonly server: { readonly encoder: ParserEncoder; readonly opts: SocketIoServerOpts };
  /** The next ack id (read and incremented by `broadcastWithAck`), shared with the namespace's own emits. */
  _ids: number;
  /** A server-side event from another node: `[event, ...args]`, possibly ending with an ack. */
  _onServerSideEmit(args: unknown[]): void;
}

/** What roomcast calls on an adapter: socket.io-adapter's public members. */
export interface SocketIoAdapter {
  readonly rooms: Map<Room, Set<SocketId>>;
  readonly sids: Map<SocketId, Set<Room>>;
  init(): Promise<void> | void;
  close(): Promise<void> | void;
  serverCount(): Promise<number>;
  addAll(id: SocketId, rooms: Set<Room>): Promise<void> | void;
  del(id: SocketId, room: Room): Promise<void> | void;
  delAll(id: SocketId): unknown;
  broadcast(packet: Packet, opts: BroadcastOptions): unknown;
  broadcastWithAck(packet: Packet, opts: BroadcastOptions, clientCountCallback: (count: number) => void, ack: AckCallback): unknown;
  sockets(rooms: Set<Room>): Promise<Set<SocketId>>;
  socketRooms(id: SocketId): Set<Room> | undefined;
  fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]>;
  addSockets(opts: BroadcastOptions, rooms: Room[]): unknown;
  delSockets(opts: BroadcastOptions, rooms: Room[]): unknown;
  disconnectSockets(opts: BroadcastOptions, close: boolean): unknown;
  serverSideEmit(packet: unknown[]): unknown;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  emit(event: string, ...args: unknown[]): boolean;
  listenerCount(event: string): number;
}

/**
 * An adapter of socket.io's kind as the `adapter` option takes it: a class, or a factory such as
 * `createAdapter(pub, sub)` of `@socket.io/redis-adapter` (socket.io calls it with `new`; an arrow
 * function, which cannot be, is called).
 */
export type SocketIoAdapterConstructor =
  | (new (nsp: SocketIoAdapterNamespace) => SocketIoAdapter)
  | ((nsp: SocketIoAdapterNamespace) => SocketIoAdapter);

/** What the `adapter` option takes: roomcast's adapters, or socket.io's. */
export type AdapterOption = AdapterConstructor | SocketIoAdapterConstructor;

/** Every method {@link SocketIoAdapter} lists: an adapter lacking one is refused when it is built. */
const REQUIRED_METHODS = [
  "init",
  "close",
  "serverCount",
  "addAll",
  "del",
  "delAll",
  "broadcast",
  "broadcastWithAck",
  "sockets",
  "socketRooms",
  "fetchSockets",
  "addSockets",
  "delSockets",
  "disconnectSockets",
  "serverSideEmit",
  "on",
  "emit",
  "listenerCount",
] as const;

/** Whether `fn` can be called with `new` (without calling it). */
function isConstructor(fn: unknown): boolean {
  if (typeof fn !== "function") return false;
  try {
    // Reflect.construct checks `newTarget` is a constructor before it runs anything of it.
    Reflect.construct(String, [], fn);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the adapter of a namespace from the `adapter` option, as socket.io does
 * (`new option(nsp)`), and checks it has every method roomcast calls.
 *
 * The result is typed as roomcast's `Adapter`: an adapter of socket.io's kind is not one, but the
 * core calls on it only the members of {@link SocketIoAdapter}, and reaches roomcast's own extras
 * (`ackTimeout`) through {@link ackDeadline} and {@link ackFlags}.
 *
 * @throws TypeError when the option builds something that is not an adapter.
 */
export function constructAdapter(option: AdapterOption, nsp: AdapterNamespace): Adapter {
  const build: unknown = option;
  const made: unknown = isConstructor(build)
    ? new (build as new (nsp: AdapterNamespace) => unknown)(nsp)
    : (build as (nsp: AdapterNamespace) => unknown)(nsp);
  if (typeof made !== "object" || made === null) {
    throw new TypeError(`roomcast: option adapter built no adapter object for namespace "${nsp.name}"`);
  }
  for (const name of REQUIRED_METHODS) {
    if (typeof (made as Record<string, unknown>)[name] !== "function") {
      throw new TypeError(`roomcast: option adapter: the adapter built for namespace "${nsp.name}" has no ${name}() method`);
    }
  }
  return made as Adapter;
}

/** roomcast's own adapters have `ackTimeout`; socket.io's do not. */
function ownAckTimeout(adapter: Adapter): ((flags: BroadcastFlags | undefined) => number | undefined) | undefined {
  const method: unknown = (adapter as Partial<Pick<Adapter, "ackTimeout">>).ackTimeout;
  return typeof method === "function" ? (method as Adapter["ackTimeout"]) : undefined;
}

/**
 * How long an adapter of socket.io's kind keeps a broadcast's acks when no `timeout` is given:
 * its `requestsTimeout` when it has one (`@socket.io/redis-adapter`), else socket.io-adapter's
 * 5 s for its own requests.
 */
function foreignAckWindow(adapter: Adapter): number {
  const own: unknown = (adapter as unknown as { requestsTimeout?: unknown }).requestsTimeout;
  return typeof own === "number" && own > 0 ? own : 5000;
}

/**
 * The flags to hand `broadcastWithAck`. roomcast's adapters get `flags` as is. socket.io's keep
 * a broadcast's acks only for `flags.timeout` (they drop them at once without one, and socket.io
 * fails such a broadcast at once): without a timeout, one is set ({@link foreignAckWindow}).
 */
export function ackFlags(adapter: Adapter, flags: BroadcastFlags): BroadcastFlags {
  if (ownAckTimeout(adapter) !== undefined || flags.timeout !== undefined) return flags;
  return { ...flags, timeout: foreignAckWindow(adapter) };
}

/**
 * How long a broadcast with acks waits for its answers: roomcast's `adapter.ackTimeout(flags)`,
 * or the `timeout` of {@link ackFlags} for an adapter of socket.io's kind.
 */
export function ackDeadline(adapter: Adapter, flags: BroadcastFlags): number | undefined {
  const own = ownAckTimeout(adapter);
  return own !== undefined ? own.call(adapter, flags) : flags.timeout;
}

/**
 * Keeps a promise returned by an adapter call whose result roomcast does not wait for (a
 * `ClusterAdapter` broadcast, `addSockets`…) from ending as an unhandled rejection, which would
 * stop the process: the error goes to the adapter's `error` listeners, or becomes a process
 * warning when there are none. Anything else is ignored (roomcast's adapters return nothing).
 *
 * @param adapter - the adapter called.
 * @param result - what the call returned.
 */
export function settle(adapter: Adapter, result: unknown): void {
  if (typeof result !== "object" || result === null) return;
  const then: unknown = (result as { then?: unknown }).then;
  if (typeof then !== "function") return;
  (then as (ok: undefined, fail: (err: unknown) => void) => unknown).call(result, undefined, (err: unknown) => {
    if (adapter.listenerCount("error") > 0) adapter.emit("error", err);
    else process.emitWarning(err instanceof Error ? err : new Error(String(err)), { code: "ROOMCAST_ADAPTER_ERROR" });
  });
}

/**
 * A write of a broadcast by an adapter of socket.io's kind (one without roomcast's `observed`
 * flag), per recipient: counts the message when metrics are on, and tells whether the connection
 * must check its `packetCreate` listeners — what roomcast's adapter does once per broadcast.
 *
 * @param metrics - the server's counters, or null.
 */
export function foreignWrite(metrics: AdapterCounters | null): boolean {
  if (metrics !== null) metrics.eventsSent++;
  return packetCreateObserved();
}
