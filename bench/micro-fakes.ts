/**
 * Stand-ins for the namespace layer of both servers, so the micro benchmark times only what
 * an adapter does per broadcast: recipient resolution plus encoding. Every socket's
 * `client.writeToEngine` only bumps a counter (no I/O).
 *
 * roomcast's adapter gets the `AdapterNamespace` / `AdapterSocket` contract of
 * src/rooms/types.ts; socket.io's in-memory adapter (socket.io-adapter) gets what it reads of a
 * namespace: `name`, `sockets` (id → socket with `id` and `client`), `server.encoder` and `_ids`.
 * socket.io's real sockets also have `notifyOutgoingListeners` (a length check when no
 * outgoing listener is set); the fakes leave it out, which can only flatter socket.io.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Adapter } from "../src/rooms/adapter.ts";
import type { EncodedPacket } from "../src/protocol/packet.ts";
import type { AdapterNamespace, AdapterSocket, Handshake, Room, SocketId, WriteOptions } from "../src/rooms/types.ts";

// Load socket.io's own copies (CommonJS, as its server loads them), not whatever ESM build
// an `import` would pick (socket.io-parser's ESM entry for node is a debug build).
const sioRequire = createRequire(fileURLToPath(import.meta.resolve("socket.io")));
const { Adapter: SioAdapter } = sioRequire("socket.io-adapter") as typeof import("socket.io-adapter");
const { Encoder } = sioRequire("socket.io-parser") as typeof import("socket.io-parser");

/** Total writes made through every fake client (the benchmarks' only side effect). */
export const counter = { writes: 0 };

/** A connection that counts writes instead of sending them. */
class CountingClient {
  writeToEngine(_encoded: unknown, _opts: unknown): void {
    counter.writes++;
  }
}

const HANDSHAKE: Handshake = {
  headers: {},
  time: "",
  address: "127.0.0.1",
  xdomain: false,
  secure: false,
  issued: 0,
  url: "/socket.io/",
  query: {},
  auth: {},
};

class RoomcastSocket implements AdapterSocket {
  readonly id: SocketId;
  readonly client: { writeToEngine(encoded: EncodedPacket, opts: WriteOptions): void } = new CountingClient();
  readonly handshake = HANDSHAKE;
  data: unknown = null;
  readonly rooms = new Set<Room>();
  readonly connected = true;
  targetStamp = 0;
  constructor(id: SocketId) {
    this.id = id;
  }
  emit(): boolean {
    return true;
  }
  join(): void {}
  leave(): void {}
  disconnect(): this {
    return this;
  }
  registerAck(): void {}
}

class SioSocket {
  readonly id: string;
  readonly client = new CountingClient();
  constructor(id: string) {
    this.id = id;
  }
}

/** What both adapters are asked to do in one case. */
export interface BroadcastOpts {
  rooms: Set<Room>;
  except?: Set<Room>;
  flags: Record<string, never>;
}

/** A broadcast entry point: one call = one broadcast of a fresh packet. */
export type Broadcast = (seq: number) => void;

/** Membership: the rooms (besides its own id) of each socket. */
export type Membership = readonly (readonly string[])[];

function socketId(i: number): string {
  // 20 characters, the length of a real socket id.
  return `sock-${String(i).padStart(15, "0")}`;
}

/** roomcast's Adapter over fake sockets with `membership`; returns its broadcast call. */
export function roomcastBroadcast(membership: Membership, opts: BroadcastOpts): Broadcast {
  const sockets = new Map<SocketId, AdapterSocket>();
  let ackIds = 0;
  const nsp: AdapterNamespace = { name: "/", sockets, nextAckId: () => ackIds++ };
  const adapter = new Adapter(nsp);
  membership.forEach((rooms, i) => {
    const socket = new RoomcastSocket(socketId(i));
    sockets.set(socket.id, socket);
    void adapter.addAll(socket.id, new Set([socket.id, ...rooms]));
  });
  return (seq) => adapter.broadcast({ type: 2, nsp: "/", data: ["m", seq, "hello"] }, opts);
}

/** socket.io's in-memory Adapter over fake sockets with `membership`; returns its broadcast call. */
export function socketioBroadcast(membership: Membership, opts: BroadcastOpts): Broadcast {
  const sockets = new Map<string, SioSocket>();
  const nsp = { name: "/", sockets, server: { encoder: new Encoder() }, _ids: 0 };
  const adapter = new SioAdapter(nsp);
  membership.forEach((rooms, i) => {
    const socket = new SioSocket(socketId(i));
    sockets.set(socket.id, socket);
    adapter.addAll(socket.id, new Set([socket.id, ...rooms]));
  });
  return (seq) => adapter.broadcast({ type: 2, nsp: "/", data: ["m", seq, "hello"] }, opts);
}

/** The id of socket `i` (for `except` sets naming one socket's own room). */
export function idOf(i: number): string {
  return socketId(i);
}
