/**
 * The contract `instrument(io, opts)` of `@socket.io/admin-ui` (0.5) relies on, written down as
 * types: every property and method it reads, calls or listens to on the server, its namespaces,
 * adapters, sockets, `fetchSockets()` results and Engine.IO connections, with what it does with
 * them. A roomcast `Server` is checked against {@link AdminUiServer} at type-check time
 * (test/compat/admin-ui.test.ts), and the tests drive admin-ui's protocol and UI against it.
 *
 * Nothing here is imported by the server: it is the checklist, not an implementation. Where
 * roomcast meets a member only partly, the member says so (see "Pending").
 *
 * Pending (the socket.io hooks of the `dropin` work): `onAnyOutgoing` does not see broadcasts
 * (admin-ui's `event_sent` in development mode lists direct emits only), and `packetCreate` does
 * not fire for Socket.IO messages (admin-ui's aggregated `packetsOut` / `bytesOut` count only
 * Engine.IO control packets).
 */

/** The server object admin-ui is given. */
export interface AdminUiServer {
  /** `io.of(options.namespaceName)` (default "/admin") and `io.of(nsp)` for every UI action. */
  of(name: string): AdminUiNamespace;
  /**
   * Every namespace by name (dynamic children included): iterated for `server_stats`
   * (`name`, `sockets.size`), for `all_sockets` (`fetchSockets()` of each) and, in development
   * mode, to hook each namespace's `connection` and adapter events. socket.io's private name.
   */
  readonly _nsps: { forEach(fn: (nsp: AdminUiNamespace) => void): void };
  /**
   * `io.engine.clientsCount` (stats) and `io.engine.on("connection")` (aggregated events).
   * May be undefined when `instrument` runs before `attach`: admin-ui retries on the next tick.
   */
  readonly engine: AdminUiEngine | undefined;
  /** `io.on("new_namespace", fn)` (development mode): namespaces created later get hooked too. */
  on(event: "new_namespace", listener: (nsp: AdminUiNamespace) => void): unknown;
  /** Feature detection only (`typeof io.x === "function"`): they enable MJOIN, MLEAVE, MDISCONNECT and the v4 code paths. */
  fetchSockets(): Promise<unknown>;
  socketsJoin(room: string): void;
  socketsLeave(room: string): void;
  disconnectSockets(close?: boolean): void;
  // admin-ui also writes `io._eventBuffer` and `io._pollingClientsCount` on the server object:
  // it must stay extensible (not frozen, not sealed).
}

/** A broadcast target: `io.of(nsp)` and `io.of(nsp).in(room)`, as the UI's actions use them. */
export interface AdminUiTarget {
  /** The UI's "emit" action. */
  emit(event: string, ...args: unknown[]): unknown;
  /** The UI's "join" action (MJOIN). */
  socketsJoin(room: string): void;
  /** The UI's "leave" action (MLEAVE). */
  socketsLeave(room: string): void;
  /** The UI's "disconnect" action (MDISCONNECT); `close` closes the whole connection. */
  disconnectSockets(close?: boolean): void;
}

/** A namespace. */
export interface AdminUiNamespace extends AdminUiTarget {
  /** Reported in `server_stats` and as every serialised socket's `nsp`. */
  readonly name: string;
  /** `sockets.size` for `server_stats`. */
  readonly sockets: { readonly size: number };
  /**
   * `adminNamespace.server`: the stats timer finds the server (its `_nsps`, `engine`) here, so
   * it must be the server object itself. roomcast types it as the narrower `NamespaceHost`
   * (namespaces/ does not import the server), so identity is checked at run time by the tests.
   */
  readonly server: object;
  /** The admin namespace's authentication middleware (asynchronous: it awaits bcrypt and the store). */
  use(fn: (socket: AdminUiSocket, next: (err?: Error) => void) => void): unknown;
  /** `connection` on the admin namespace (it sends `config` then `all_sockets`). */
  on(event: "connection", listener: (socket: AdminUiSocket) => void): unknown;
  /** Development mode: hooks every new socket of every namespace before the application's listeners. */
  prependListener(event: "connection", listener: (socket: AdminUiSocket) => void): unknown;
  /** `in(filter)`: a UI action limited to a room (or a socket id). */
  in(room: string): AdminUiTarget;
  /** `all_sockets`: each result is serialised (see {@link AdminUiSocketDetails}). */
  fetchSockets(): Promise<AdminUiSocketDetails[]>;
  /** Development mode: `join-room` and `leave-room` become `room_joined` / `room_left`. */
  readonly adapter: {
    on(event: "join-room" | "leave-room", listener: (room: string, id: string) => void): unknown;
  };
}

/** The handshake fields admin-ui serialises (and, for authentication, `auth`). */
export interface AdminUiHandshake {
  /** `cf-connecting-ip` and `x-forwarded-for` are preferred to `address` for the shown address. */
  readonly headers: Record<string, string | string[] | undefined>;
  readonly address: string;
  readonly query: Record<string, unknown>;
  readonly issued: number;
  readonly secure: boolean;
  readonly time: string;
  readonly url: string;
  readonly xdomain: boolean;
  /** The admin middleware reads `sessionId`, `username` and `password` here. */
  readonly auth: Record<string, unknown>;
}

/** What `fetchSockets()` yields, as admin-ui serialises it. */
export interface AdminUiSocketDetails {
  readonly id: string;
  readonly handshake: AdminUiHandshake;
  /** Spread into an array. */
  readonly rooms: Iterable<string>;
  /** `data._admin.clientId` and `data._admin.transport` (set by the development-mode hook), the rest shown as is. */
  readonly data: unknown;
}

/** A live socket (in `connection` listeners and middlewares). */
export interface AdminUiSocket extends AdminUiSocketDetails {
  /** `socket.client.id.substring(0, 12)`: the UI groups sockets by connection with it. */
  readonly client: { readonly id: string };
  /** Replaced by a Proxy that reports each change as `socket_updated` (development mode). */
  data: unknown;
  /** `conn.transport.name` when the socket connects; `conn.on("upgrade", t)` to follow the upgrade. */
  readonly conn: {
    readonly transport: { readonly name: string };
    on(event: "upgrade", listener: (transport: { readonly name: string }) => void): unknown;
  };
  /** `session` (basic auth, from the middleware: before the CONNECT answer), `config`, `all_sockets`, and every admin event. */
  emit(event: string, ...args: unknown[]): unknown;
  /** Development mode: every incoming event becomes `event_received` (an ack function is stripped). */
  onAny(listener: (event: string, ...args: unknown[]) => void): unknown;
  /** Development mode: every outgoing event becomes `event_sent` (roomcast: direct emits; broadcasts pending). */
  onAnyOutgoing(listener: (event: string, ...args: unknown[]) => void): unknown;
  /** `disconnect` becomes `socket_disconnected` with the reason; the admin socket's listeners for the UI's actions. */
  on(event: string, listener: (...args: never[]) => void): unknown;
}

/** The Engine.IO server. */
export interface AdminUiEngine {
  /** `clientsCount` in `server_stats`. */
  readonly clientsCount: number;
  /** Each new connection is counted (`rawConnection`) and hooked (see {@link AdminUiEngineSocket}). */
  on(event: "connection", listener: (conn: AdminUiEngineSocket) => void): unknown;
}

/** An Engine.IO connection, for the aggregated events (both modes). */
export interface AdminUiEngineSocket {
  /** `polling` connections are counted in `pollingClientsCount` until they upgrade or close. */
  readonly transport: { readonly name: string };
  /** `upgrade` and `close` end the polling count (`once`, and `removeListener` of the other). */
  once(event: "upgrade" | "close", listener: () => void): unknown;
  removeListener(event: "close", listener: () => void): unknown;
  /**
   * `packet` (`packetsIn` / `bytesIn`), `packetCreate` (`packetsOut` / `bytesOut`: roomcast
   * fires it for Engine.IO control packets only, Socket.IO messages pending), `close`
   * (`rawDisconnection` with the reason).
   */
  on(event: "packet" | "packetCreate", listener: (packet: { readonly data?: string | Buffer }) => void): unknown;
  on(event: "close", listener: (reason: string) => void): unknown;
}
