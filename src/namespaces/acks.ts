/**
 * The acknowledgements a server-side socket is waiting for. Created on a socket's first emit
 * with an ack, so the sockets that never ask for one (most, in a fan-out server) carry no Maps.
 */
import { PacketType, type Packet } from "../protocol/packet.ts";
import type { AckCallback, WriteOptions } from "../rooms/types.ts";

/** Error given to an acknowledgement callback when its socket goes away first. */
const DISCONNECTED = "socket has been disconnected";

/** A timed ack's timer and the user's callback, failed at once on disconnect. */
interface TimedAck {
  timer: NodeJS.Timeout;
  ack: AckCallback;
}

/**
 * Pending acks of one socket, by packet id. Callbacks run with `owner` (the socket) as `this`.
 *
 * @example
 * ```ts
 * const acks = new PendingAcks(socket);
 * acks.expect(7, (err, reply) => console.log(err, reply), 5000);
 * acks.answer(7, ["hi"]); // the client's ACK: the callback gets (null, "hi")
 * ```
 */
export class PendingAcks {
  private readonly owner: object;
  private readonly byId = new Map<number, AckCallback>();
  /** Acks registered with a timeout: they fail at once when the socket disconnects. */
  private timed: Map<number, TimedAck> | null = null;

  /** @param owner - the socket, `this` of every callback. */
  constructor(owner: object) {
    this.owner = owner;
  }

  /** Registers `ack` for packet `id` as is (no timeout; used by broadcasts with acks). */
  register(id: number, ack: AckCallback): void {
    this.byId.set(id, ack);
  }

  /** Forgets the ack of packet `id`, so a late answer finds nothing. */
  release(id: number): void {
    this.byId.delete(id);
  }

  /** {@link register} under socket.io's Map name (`socket.acks.set`, called by socket.io-adapter). */
  set(id: number, ack: AckCallback): this {
    this.byId.set(id, ack);
    return this;
  }

  /** {@link release} under socket.io's Map name (`socket.acks.delete`). */
  delete(id: number): boolean {
    return this.byId.delete(id);
  }

  /**
   * Registers `ack` for packet `id`. With `timeout`, it is called with an Error first when no
   * answer comes in time, and with `(null, ...answer)` otherwise.
   */
  expect(id: number, ack: AckCallback, timeout: number | undefined): void {
    if (timeout === undefined) {
      this.byId.set(id, ack);
      return;
    }
    const timed = (this.timed ??= new Map());
    const timer = setTimeout(() => {
      this.byId.delete(id);
      timed.delete(id);
      ack.call(this.owner, new Error("operation has timed out"));
    }, timeout);
    timed.set(id, { timer, ack });
    this.byId.set(id, (...args: unknown[]) => {
      clearTimeout(timer);
      timed.delete(id);
      ack.call(this.owner, null, ...args);
    });
  }

  /** [SIO5:ack] Runs the ack of packet `id` once; an id that is unknown or already answered is ignored. */
  answer(id: number, args: unknown[]): void {
    const ack = this.byId.get(id);
    if (!ack) return;
    this.byId.delete(id);
    ack.apply(this.owner, args);
  }

  /**
   * The socket disconnected. Acks that carry a timeout promise an answer within it: they fail
   * now rather than when their timer fires on a dead socket. Acks without a timeout are dropped.
   */
  failAll(): void {
    this.byId.clear();
    if (this.timed === null) return;
    const timed = [...this.timed.values()];
    this.timed.clear();
    for (const { timer, ack } of timed) {
      clearTimeout(timer);
      ack.call(this.owner, new Error(DISCONNECTED));
    }
  }
}

/** The slice of a socket that answers a client's ack request. */
interface AckingSocket {
  readonly connected: boolean;
  readonly nsp: { readonly name: string };
  readonly client: { writePacket(packet: Packet, opts: WriteOptions): void };
}

/** A once-only callback that answers the client's ack request `id` (nothing once disconnected). */
export function ackSender(socket: AckingSocket, id: number): AckCallback {
  let sent = false;
  return (...args: unknown[]) => {
    if (sent || !socket.connected) return;
    sent = true;
    // [SIO5:ack] same id, arguments as an array.
    socket.client.writePacket({ type: PacketType.ACK, nsp: socket.nsp.name, id, data: args }, {});
  };
}
