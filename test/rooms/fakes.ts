/**
 * Minimal in-memory stand-ins for the namespace layer, implementing the rooms/ contract
 * interfaces. Only for unit tests of rooms/ logic; the network path is tested elsewhere.
 */
import { vi } from "vitest";
import type { EncodedPacket } from "../../src/protocol/packet.ts";
import { Adapter } from "../../src/rooms/adapter.ts";
import type {
  AckCallback,
  AdapterClient,
  AdapterNamespace,
  AdapterSocket,
  Handshake,
  Room,
  SocketId,
  WriteOptions,
} from "../../src/rooms/types.ts";

export interface Write {
  encoded: EncodedPacket;
  opts: WriteOptions;
}

export class FakeClient implements AdapterClient {
  readonly writes: Write[] = [];
  readonly writeToEngine = vi.fn((encoded: EncodedPacket, opts: WriteOptions): void => {
    this.writes.push({ encoded, opts });
  });
}

export function makeHandshake(id: string): Handshake {
  return {
    headers: { host: "localhost" },
    time: new Date(0).toString(),
    address: "127.0.0.1",
    xdomain: false,
    secure: false,
    issued: 0,
    url: `/socket.io/?id=${id}`,
    query: {},
    auth: { token: id },
  };
}

export class FakeSocket implements AdapterSocket {
  readonly client = new FakeClient();
  readonly handshake: Handshake;
  data: unknown;
  connected = true;
  targetStamp = 0;
  readonly acks = new Map<number, AckCallback>();
  readonly emitted: unknown[][] = [];
  closedWith: boolean | undefined = undefined;

  constructor(
    readonly id: SocketId,
    private readonly nsp: FakeNamespace,
  ) {
    this.handshake = makeHandshake(id);
    this.data = { name: `user-${id}` };
  }

  get rooms(): Set<Room> {
    return new Set(this.nsp.adapter.socketRooms(this.id));
  }

  emit(ev: string, ...args: unknown[]): boolean {
    this.emitted.push([ev, ...args]);
    return true;
  }

  join(rooms: Room | Room[]): void {
    this.nsp.adapter.addAll(this.id, new Set(Array.isArray(rooms) ? rooms : [rooms]));
  }

  leave(room: Room): void {
    this.nsp.adapter.del(this.id, room);
  }

  disconnect(close?: boolean): this {
    this.closedWith = close ?? false;
    this.connected = false;
    this.nsp.sockets.delete(this.id);
    this.nsp.adapter.delAll(this.id);
    return this;
  }

  registerAck(id: number, ack: AckCallback): void {
    this.acks.set(id, ack);
  }

  releaseAck(id: number): void {
    this.acks.delete(id);
  }

  /** The client answers the packet with ack id `id`. */
  answer(id: number, ...args: unknown[]): void {
    const ack = this.acks.get(id);
    this.acks.delete(id);
    ack?.(...args);
  }

  /** The ack id of the last packet written to this socket (parsed from the text part). */
  lastAckId(): number {
    const last = this.client.writes[this.client.writes.length - 1];
    if (last === undefined) throw new Error(`nothing written to ${this.id}`);
    const match = /^\d(?:\d+-)?(?:\/[^,]*,)?(\d+)/.exec(last.encoded[0]);
    if (match?.[1] === undefined) throw new Error(`no ack id in ${last.encoded[0]}`);
    return Number(match[1]);
  }
}

export class FakeNamespace implements AdapterNamespace {
  readonly sockets = new Map<SocketId, AdapterSocket>();
  readonly adapter: Adapter;
  private ackIds = 0;

  constructor(
    readonly name = "/chat",
    makeAdapter: (nsp: FakeNamespace) => Adapter = (nsp) => new Adapter(nsp),
  ) {
    this.adapter = makeAdapter(this);
  }

  nextAckId(): number {
    return this.ackIds++;
  }

  /** A connected socket, in its own room and in `rooms`. */
  connect(id: SocketId, rooms: Room[] = []): FakeSocket {
    const socket = new FakeSocket(id, this);
    this.sockets.set(id, socket);
    this.adapter.addAll(id, new Set([id, ...rooms]));
    return socket;
  }
}

/** Text parts of everything written to `socket`. */
export function texts(socket: FakeSocket): string[] {
  return socket.client.writes.map((w) => w.encoded[0]);
}

/** Ids of the sockets among `sockets` that received at least one write. */
export function receivers(sockets: FakeSocket[]): SocketId[] {
  return sockets.filter((s) => s.client.writes.length > 0).map((s) => s.id);
}

/** Lets pending promise callbacks (e.g. `serverCount().then`) run. */
export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
