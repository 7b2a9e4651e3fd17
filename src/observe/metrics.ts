/**
 * The server's live figures: counters bumped on its paths while the `metrics` option is on, and
 * gauges read at scrape time from the state the server keeps anyway (sessions, namespaces,
 * rooms). Plain numbers, no dependency: the Prometheus exporter (prometheus.ts) and
 * `io.metrics.snapshot()` both read them.
 *
 * Cost: a counter is bumped once per broadcast (its recipients are added as one number after
 * resolution), once per incoming event, per direct emit and per disconnect — never inside the
 * per-recipient loop. With the option off the server holds `null` and each of those sites
 * pays one null check.
 */
import type { AdapterCounters } from "../rooms/types.ts";
import { TransportFailure } from "../transport/errors.ts";
import type { TransportName } from "../transport/options.ts";

/** What the gauges are read from: the server (structurally, so observe/ does not import it). */
export interface MetricsSource {
  /** The Engine.IO server, once attached: its open sessions and their transports. */
  readonly engine: { readonly clients: ReadonlyMap<string, { readonly transport: { readonly name: TransportName } }> } | undefined;
  /** The namespaces by name (dynamic children included, their parents not). */
  readonly _nsps: ReadonlyMap<string, MetricsNamespace>;
}

/** The slice of a namespace the gauges read. */
export interface MetricsNamespace {
  readonly name: string;
  readonly sockets: ReadonlyMap<string, unknown>;
  readonly adapter: { readonly rooms: ReadonlyMap<string, unknown> };
}

/** Every figure at one instant (see {@link ServerMetrics.snapshot}). */
export interface MetricsSnapshot {
  /** Open Engine.IO sessions by transport (an upgrading session counts as polling). */
  engineConnections: Record<TransportName, number>;
  /** Connected sockets per namespace. */
  connectedSockets: Record<string, number>;
  /** Named rooms per namespace (the room each socket has under its own id is not counted). */
  rooms: Record<string, number>;
  /** EVENT packets received from clients. */
  eventsReceived: number;
  /** EVENT packets handed to clients' connections (direct emits, one per broadcast recipient; volatile drops excluded). */
  eventsSent: number;
  /** Broadcasts emitted on this server (`io.emit`, `io.to(…).emit`, `socket.broadcast.emit`, …). */
  broadcasts: number;
  /** Socket disconnections by reason (socket.io's reasons). */
  disconnects: Record<string, number>;
  /** Volatile packets dropped because the connection could not take them. */
  volatileDropped: number;
  /** Connections closed because their write buffer passed `maxBufferedBytes`. */
  bufferFull: number;
  /** Refused connections by code (see {@link ConnectErrorCode}). */
  connectErrors: Record<string, number>;
  /** Messages a cluster adapter published to Redis. */
  clusterPublished: number;
  /** Messages a cluster adapter received from Redis. */
  clusterReceived: number;
  /** Errors a cluster adapter reported, by code (`ROOMCAST_ERR_REDIS_…`). */
  clusterErrors: Record<string, number>;
}

/**
 * Why a connection was refused: the Engine.IO error names for requests the engine refused, and
 * three Socket.IO-level refusals (a CONNECT_ERROR packet).
 */
export type ConnectErrorCode =
  | "UNKNOWN_TRANSPORT"
  | "UNKNOWN_SID"
  | "BAD_HANDSHAKE_METHOD"
  | "BAD_REQUEST"
  | "FORBIDDEN"
  | "UNSUPPORTED_PROTOCOL_VERSION"
  | "INVALID_NAMESPACE"
  | "TOO_MANY_NAMESPACES"
  | "MIDDLEWARE_REFUSED";

/** Engine.IO error code (0..5) → its name, for the `code` label. [EIO4:http-errors] */
export const ENGINE_ERROR_NAMES: readonly ConnectErrorCode[] = Object.freeze([
  "UNKNOWN_TRANSPORT",
  "UNKNOWN_SID",
  "BAD_HANDSHAKE_METHOD",
  "BAD_REQUEST",
  "FORBIDDEN",
  "UNSUPPORTED_PROTOCOL_VERSION",
]);

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/**
 * The counters and gauges of one server: `io.metrics` when the `metrics` option is on.
 *
 * @example
 * const io = new Server(httpServer, { metrics: true });
 * setInterval(() => console.log(io.metrics?.snapshot().eventsSent), 1000);
 */
export class ServerMetrics implements AdapterCounters {
  /** EVENT packets received from clients. */
  eventsReceived = 0;
  /** EVENT packets handed to connections, volatile drops excluded. */
  eventsSent = 0;
  /** Broadcasts emitted on this server. */
  broadcasts = 0;
  /** Volatile packets dropped. */
  volatileDropped = 0;
  /** Connections closed for a full write buffer. */
  bufferFull = 0;
  /** Messages published to Redis by cluster adapters. */
  clusterPublished = 0;
  /** Messages received from Redis by cluster adapters. */
  clusterReceived = 0;
  /** Socket disconnections by reason. */
  readonly disconnects = new Map<string, number>();
  /** Refused connections by {@link ConnectErrorCode}. */
  readonly connectErrors = new Map<string, number>();
  /** Cluster adapter errors by code. */
  readonly clusterErrors = new Map<string, number>();

  /** @param source - the server whose sessions, namespaces and rooms the gauges read. */
  constructor(private readonly source: MetricsSource) {}

  /** @internal A volatile packet was not queued: it was counted as sent, so it is taken back. */
  droppedVolatile(): void {
    this.volatileDropped++;
    this.eventsSent--;
  }

  /** @internal A socket disconnected. */
  countDisconnect(reason: string): void {
    bump(this.disconnects, reason);
  }

  /** @internal A connection was refused. */
  countConnectError(code: ConnectErrorCode): void {
    bump(this.connectErrors, code);
  }

  /** @internal A cluster adapter reported an error. */
  countClusterError(code: string): void {
    bump(this.clusterErrors, code);
  }

  /** @internal An Engine.IO session closed: counts the ones cut for a full write buffer. */
  connectionClosed(description: unknown): void {
    if (description instanceof TransportFailure && description.code === "ROOMCAST_ERR_BUFFER_FULL") this.bufferFull++;
  }

  /** Open sessions by transport, read from the engine now (both transports always present). */
  engineConnections(): Record<TransportName, number> {
    const counts: Record<TransportName, number> = { polling: 0, websocket: 0 };
    const clients = this.source.engine?.clients;
    if (clients === undefined) return counts;
    for (const session of clients.values()) counts[session.transport.name]++;
    return counts;
  }

  /** Connected sockets per namespace, read now. */
  connectedSockets(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const nsp of this.source._nsps.values()) counts[nsp.name] = nsp.sockets.size;
    return counts;
  }

  /**
   * Named rooms per namespace, read now: the adapter's rooms minus the room each socket has
   * under its own id (a socket that left its own room does not make a named room disappear).
   */
  rooms(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const nsp of this.source._nsps.values()) {
      const rooms = nsp.adapter.rooms;
      let named = rooms.size;
      for (const id of nsp.sockets.keys()) if (rooms.has(id)) named--;
      counts[nsp.name] = named;
    }
    return counts;
  }

  /** Every figure, as plain data. */
  snapshot(): MetricsSnapshot {
    return {
      engineConnections: this.engineConnections(),
      connectedSockets: this.connectedSockets(),
      rooms: this.rooms(),
      eventsReceived: this.eventsReceived,
      eventsSent: this.eventsSent,
      broadcasts: this.broadcasts,
      disconnects: Object.fromEntries(this.disconnects),
      volatileDropped: this.volatileDropped,
      bufferFull: this.bufferFull,
      connectErrors: Object.fromEntries(this.connectErrors),
      clusterPublished: this.clusterPublished,
      clusterReceived: this.clusterReceived,
      clusterErrors: Object.fromEntries(this.clusterErrors),
    };
  }
}
