/**
 * A dynamic namespace: the parent of every namespace its matcher accepts. Children are created
 * on first connection; they inherit the parent's middlewares and connection listeners.
 */
import { Adapter, type SocketDetails } from "../rooms/adapter.ts";
import { settle, type AdapterOption } from "../compat/socket-io-adapter.ts";
import type { AckCallback, AdapterNamespace, BroadcastOptions, Room } from "../rooms/types.ts";
import type { Packet } from "../protocol/packet.ts";
import type { DefaultEventsMap, EventsMap } from "../typed-events.ts";
import { Namespace, type NamespaceHost } from "./namespace.ts";

/** Decides whether a namespace name belongs to a dynamic parent. */
export type NamespaceMatcher = (
  name: string,
  auth: Record<string, unknown>,
  next: (err: Error | null, allow: boolean) => void,
) => void;

type ChildNamespace = Namespace<EventsMap, EventsMap, EventsMap, unknown>;

/** Broadcasts of a parent go to every child's adapter (a parent has no sockets of its own). */
class ParentBroadcastAdapter extends Adapter {
  /** `parent.children` is read at call time: the adapter is built before the parent's fields. */
  constructor(
    private readonly parent: { readonly children: ReadonlySet<ChildNamespace> },
    nsp: AdapterNamespace,
  ) {
    super(nsp);
  }

  private get children(): ReadonlySet<ChildNamespace> {
    return this.parent.children;
  }

  /** A parent has no sockets: each child keeps its own sessions and log. */
  override enableRecovery(): void {}

  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    for (const child of this.children) settle(child.adapter, child.adapter.broadcast({ ...packet }, opts));
  }

  override broadcastWithAck(packet: Packet, opts: BroadcastOptions, clientCount: (n: number) => void, ack: AckCallback): void {
    let total = 0;
    for (const child of this.children) child.adapter.broadcastWithAck({ ...packet }, opts, (n) => (total += n), ack);
    clientCount(total);
  }

  override async fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const all = await Promise.all([...this.children].map((child) => child.adapter.fetchSockets(opts)));
    return all.flat();
  }

  override addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    for (const child of this.children) settle(child.adapter, child.adapter.addSockets(opts, rooms));
  }

  override delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    for (const child of this.children) settle(child.adapter, child.adapter.delSockets(opts, rooms));
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    for (const child of this.children) settle(child.adapter, child.adapter.disconnectSockets(opts, close));
  }
}

/** What a dynamic parent needs from the server to register its children. */
export interface ParentHost extends NamespaceHost {
  readonly cleanupEmptyChildNamespaces: boolean;
  /** Registers a child in the server's exact-name table (and announces it). */
  registerChild(child: ChildNamespace): void;
  /** Removes an emptied child from the server's table. */
  unregisterChild(child: ChildNamespace): void;
}

let parentCount = 0;

/**
 * The namespace `io.of(RegExp | function)` returns.
 *
 * @example
 * io.of(/^\/dynamic-\d+$/).on("connection", (socket) => {
 *   const child = socket.nsp; // e.g. "/dynamic-42"
 * });
 */
export class ParentNamespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = Record<string, unknown>,
> extends Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  /** The children created so far. */
  readonly children = new Set<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();

  /** @internal Created through `io.of(RegExp | function)`. */
  constructor(private readonly host: ParentHost) {
    super(host, `/_${parentCount++}`);
  }

  override createAdapter(_Ctor: AdapterOption): Adapter {
    return new ParentBroadcastAdapter(this as unknown as { readonly children: ReadonlySet<ChildNamespace> }, this.asAdapterNamespace());
  }

  /** @internal Creates the child `name`, copying middlewares and connection listeners. */
  createChild(name: string): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    const child = new Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(this.host, name);
    child.middlewares = this.middlewares.slice();
    for (const event of ["connect", "connection"] as const) {
      for (const listener of this.listeners(event)) child.on(event, listener as never);
    }
    this.children.add(child);
    if (this.host.cleanupEmptyChildNamespaces) {
      child.onEmpty = () => {
        this.children.delete(child);
        this.host.unregisterChild(child as unknown as ChildNamespace);
        void child.adapter.close();
      };
    }
    this.host.registerChild(child as unknown as ChildNamespace);
    return child;
  }
}
