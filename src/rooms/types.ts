/**
 * The contract between rooms/ (adapter, broadcast operator) and the layer above it
 * (namespaces/). rooms/ never imports namespaces/: it sees sockets and namespaces only
 * through these interfaces, so data flows one way (see ARCHITECTURE.md).
 */
import type { Packet } from "../protocol/packet.ts";
import type { EncodedParts, ParserEncoder } from "../protocol/parser.ts";

/** A socket id (one per socket per namespace). */
export type SocketId = string;
/** A room name. Every socket is in the room named after its own id. */
export type Room = string;

/** Flags carried by a broadcast or an emit. */
export interface BroadcastFlags {
  /** Drop the packet for a recipient that cannot take it right now. */
  volatile?: boolean;
  /** Compress with per-message deflate when the transport has it (default true). */
  compress?: boolean;
  /** Stay on this node (cluster adapters must not forward). */
  local?: boolean;
  /** Set on broadcasts (as opposed to a direct emit). */
  broadcast?: boolean;
  /** Milliseconds to wait for acknowledgements. */
  timeout?: number;
  /** An ack expects one response, not an array (used by single-socket emits with timeout). */
  expectSingleResponse?: boolean;
}

/** Who a broadcast goes to: sockets in any of `rooms` (all sockets when empty), minus those in any of `except`. */
export interface BroadcastOptions {
  rooms: Set<Room>;
  except?: Set<Room>;
  flags?: BroadcastFlags;
}

/** How one encoded packet is written to one connection. */
export interface WriteOptions {
  volatile?: boolean;
  compress?: boolean;
  /**
   * Set per broadcast when some connection listens to `packetCreate`: each recipient then
   * checks for its own listeners (nobody checks anything otherwise).
   */
  observed?: boolean;
}

/** A callback receiving acknowledgement arguments. */
export type AckCallback = (...args: unknown[]) => void;

/** What the server recorded of a socket's handshake (socket.io's `socket.handshake`). */
export interface Handshake {
  headers: Record<string, string | string[] | undefined>;
  time: string;
  address: string;
  xdomain: boolean;
  secure: boolean;
  issued: number;
  url: string;
  query: Record<string, string | string[] | undefined>;
  auth: Record<string, unknown>;
}

/** The connection a socket lives on, as the adapter writes to it. */
export interface AdapterClient {
  /** Queues an encoded packet (its parts, in order) on the underlying Engine.IO connection. */
  writeToEngine(encoded: EncodedParts, opts: WriteOptions): void;
}

/** The slice of a server-side socket that the adapter and broadcast operator use. */
export interface AdapterSocket {
  readonly id: SocketId;
  readonly client: AdapterClient;
  readonly handshake: Handshake;
  data: unknown;
  readonly rooms: Set<Room>;
  readonly connected: boolean;
  /**
   * Scratch of recipient resolution (rooms/targets.ts): the stamp of the last resolution that
   * visited or excluded this socket. Start it at 0; nothing else reads or writes it.
   */
  targetStamp: number;
  emit(ev: string, ...args: unknown[]): boolean;
  join(rooms: Room | Room[]): Promise<void> | void;
  leave(room: Room): Promise<void> | void;
  disconnect(close?: boolean): unknown;
  /** Registers the callback to run when this socket acknowledges packet `id`. */
  registerAck(id: number, ack: AckCallback): void;
  /**
   * Forgets the callback registered for packet `id`, if any (a broadcast with ack timed out:
   * a late answer must not run it, and the entry must not stay until disconnect).
   * Optional so that sockets without ack bookkeeping need not implement it.
   */
  releaseAck?(id: number): void;
  /**
   * Calls the socket's outgoing catch-all listeners (`onAnyOutgoing`) with a broadcast packet
   * it is about to receive. Called only by broadcasts for which the namespace reports
   * observers ({@link AdapterNamespace.observesOutgoing}). Same name as socket.io's.
   */
  notifyOutgoingListeners?(packet: Packet): void;
}

/**
 * The counters an adapter bumps when the server's `metrics` option is on (observe/metrics.ts
 * implements it). Bumped once per broadcast or Redis message, never per recipient.
 */
export interface AdapterCounters {
  /** Broadcasts emitted on this server (counted by the broadcast operator). */
  broadcasts: number;
  /** EVENT packets handed to connections: a broadcast adds its recipient count once. */
  eventsSent: number;
  /** Messages a cluster adapter published. */
  clusterPublished: number;
  /** Messages a cluster adapter received. */
  clusterReceived: number;
  /** A cluster adapter reported an error with this code. */
  countClusterError(code: string): void;
}

/** The slice of a namespace that the adapter uses. */
export interface AdapterNamespace {
  readonly name: string;
  /** The server's counters, or null (or absent) when metrics are off. */
  readonly metrics?: AdapterCounters | null;
  readonly sockets: Map<SocketId, AdapterSocket>;
  /** A fresh acknowledgement id, unique within this namespace. */
  nextAckId(): number;
  /**
   * Delivers a server-side event from another server (`[eventName, ...args]`, possibly ending
   * with an acknowledgement callback) to this namespace's listeners. Called by cluster adapters.
   */
  onServerSideEmit?(args: unknown[]): void;
  /** The server, for its encoder (`io.encoder`): a broadcast is encoded with it, once. */
  readonly server?: { readonly encoder: ParserEncoder };
  /**
   * Whether a broadcast must notify its recipients one by one: some socket of this namespace
   * has an `onAnyOutgoing` listener, or some connection a `packetCreate` listener. Asked once
   * per broadcast, so that nothing is checked per recipient when nobody observes.
   */
  observesOutgoing?(): boolean;
}
