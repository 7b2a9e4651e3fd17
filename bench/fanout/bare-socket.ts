/**
 * One connection of the bare floor server (bare-server.ts): the WebSocket text framing it
 * writes with, and the Engine.IO v4 / Socket.IO v5 packets it answers — the open packet,
 * `40` → `40{"sid"}`, events with acks, client pings — over the raw socket from the `upgrade`
 * event. Anything else closes that connection with a clear reason.
 */
import { randomBytes } from "node:crypto";
import type { Duplex } from "node:stream";
import type { RawData, WebSocket } from "ws";
import type { BenchOperator, BenchSocket } from "./bench-io.ts";

type Listener = (...args: unknown[]) => void;

/** What a {@link BareSocket} needs from its server. */
export interface BareHub {
  /** Adds `socket` to `room`. */
  addMember(room: string, socket: BareSocket): void;
  /** The socket has connected to the main namespace. */
  connect(socket: BareSocket): void;
  /** A broadcast to `room` leaving `socket` out. */
  toExcept(room: string, socket: BareSocket): BenchOperator;
}

/** The largest client frame accepted, bytes (also announced in the open packet). */
export const MAX_PAYLOAD = 1_000_000;
/** Announced in the open packet; the bare server sends no pings itself (short runs). */
const PING_INTERVAL_MS = 25_000;
const PING_TIMEOUT_MS = 20_000;
/** WebSocket close codes (RFC 6455 §7.4.1). */
const CLOSE_POLICY = 1008;
const CLOSE_UNSUPPORTED = 1003;

/**
 * An unmasked WebSocket text frame (FIN | opcode 1) carrying `payload` [EIO4:websocket-framing]:
 * a 2-byte header up to 125 bytes of payload, 4 bytes up to 65535, 10 bytes beyond
 * (RFC 6455 §5.2; a server never masks).
 */
export function textFrame(payload: string): Buffer {
  const len = Buffer.byteLength(payload);
  const head = len < 126 ? 2 : len < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + len);
  frame[0] = 0x81;
  if (len < 126) {
    frame[1] = len;
  } else if (len < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(len), 2);
  }
  frame.write(payload, head, "utf8");
  return frame;
}

/** A Socket.IO connection on the main namespace, over one raw socket. */
export class BareSocket implements BenchSocket {
  /** The session id, sent in the open packet and in `40{"sid"}` (one id for both). */
  readonly id: string;
  /** The raw socket from the `upgrade` event: every outgoing frame is written here. */
  readonly raw: Duplex;
  /** Rooms this socket has joined. */
  readonly rooms = new Set<string>();
  /** True once the client has sent `40` (connected to the main namespace). */
  connected = false;
  private readonly hub: BareHub;
  private readonly ws: WebSocket;
  private readonly listeners = new Map<string, Listener[]>();

  /** Wraps an upgraded connection; call {@link BareSocket.open} to start the session. */
  constructor(hub: BareHub, raw: Duplex, ws: WebSocket) {
    this.hub = hub;
    this.raw = raw;
    this.ws = ws;
    this.id = randomBytes(15).toString("base64url");
  }

  /** Sends the open packet and starts reading client frames. */
  open(): void {
    // [EIO4:handshake] websocket-only: no upgrades offered.
    this.send(
      `0${JSON.stringify({ sid: this.id, upgrades: [], pingInterval: PING_INTERVAL_MS, pingTimeout: PING_TIMEOUT_MS, maxPayload: MAX_PAYLOAD })}`,
    );
    this.ws.on("message", (data: RawData, isBinary: boolean) => {
      if (isBinary) return this.reject(CLOSE_UNSUPPORTED, "binary frames are not supported by the bare server");
      this.onPacket(data.toString());
    });
  }

  /** Adds this socket to `rooms` (synchronously). */
  join(rooms: string[]): void {
    for (const room of rooms) {
      this.rooms.add(room);
      this.hub.addMember(room, this);
    }
  }

  /** Registers `listener` for a client event, or for "disconnect". */
  on(ev: string, listener: Listener): this {
    const list = this.listeners.get(ev);
    if (list === undefined) this.listeners.set(ev, [listener]);
    else list.push(listener);
    return this;
  }

  /** A broadcast to `room` that leaves this socket out (as `socket.to` does in socket.io). */
  to(room: string): BenchOperator {
    return this.hub.toExcept(room, this);
  }

  /** Frames and writes one Engine.IO packet to this socket alone. */
  send(packet: string): void {
    this.raw.write(textFrame(packet));
  }

  /** Called once when the raw socket has closed. */
  closed(): void {
    if (this.connected) this.fire("disconnect", ["transport close"]);
    this.listeners.clear();
  }

  private fire(ev: string, args: unknown[]): void {
    for (const listener of this.listeners.get(ev) ?? []) listener(...args);
  }

  /** Closes this connection with a clear reason; other clients are unaffected. */
  private reject(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  private onPacket(text: string): void {
    switch (text[0]) {
      case "2": // [EIO4:heartbeat] a client ping: pong with the same data.
        return this.send(`3${text.slice(1)}`);
      case "3": // A pong: nothing to do (the bare server sends no pings).
        return;
      case "1": // [EIO4:close]
        this.raw.destroy();
        return;
      case "4": // [EIO4:message] carries a Socket.IO packet.
        return this.onSocketIo(text);
      default:
        return this.reject(CLOSE_POLICY, `unexpected Engine.IO packet ${JSON.stringify(text.slice(0, 20))}`);
    }
  }

  private onSocketIo(text: string): void {
    const type = text[1];
    // [SIO5:namespace] only the main namespace: a packet naming another one starts with "/".
    if (text[2] === "/") return this.reject(CLOSE_POLICY, "the bare server serves the main namespace only");
    if (type === "0") {
      // [SIO5:connect] any auth payload is ignored.
      if (this.connected) return this.reject(CLOSE_POLICY, "already connected to the main namespace");
      this.connected = true;
      this.send(`40${JSON.stringify({ sid: this.id })}`);
      this.hub.connect(this);
      return;
    }
    if (!this.connected) return this.reject(CLOSE_POLICY, "packet before connecting to the main namespace");
    if (type === "1") {
      // [SIO5:disconnect] from the client: end the session.
      this.raw.destroy();
      return;
    }
    if (type === "2") return this.onEvent(text);
    return this.reject(CLOSE_UNSUPPORTED, `Socket.IO packet type ${JSON.stringify(type)} is not supported by the bare server`);
  }

  /** `42<id?>[name, ...args]` [SIO5:event-payload] [SIO5:ack-id]. */
  private onEvent(text: string): void {
    let i = 2;
    while (i < text.length && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
    const ackId = text.slice(2, i);
    if (ackId.length > 15) return this.reject(CLOSE_POLICY, "ack id too long");
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.slice(i));
    } catch {
      return this.reject(CLOSE_POLICY, "event payload is not JSON");
    }
    if (!Array.isArray(parsed) || typeof parsed[0] !== "string") return this.reject(CLOSE_POLICY, "event payload is not [name, ...args]");
    const [name, ...args] = parsed as [string, ...unknown[]];
    if (ackId !== "") {
      let acked = false;
      // [SIO5:ack] one ack per id: `43<id>[...args]`.
      args.push((...ackArgs: unknown[]) => {
        if (acked || this.raw.destroyed) return;
        acked = true;
        this.send(`43${ackId}${JSON.stringify(ackArgs)}`);
      });
    }
    this.fire(name, args);
  }
}
