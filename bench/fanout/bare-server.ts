/**
 * The fan-out benchmark's floor: a minimal Engine.IO v4 / Socket.IO v5 server written only for
 * the benchmark (`--impl bare`). It is not a contender — it shows what one `write` syscall per
 * recipient per message costs on this machine, the limit roomcast's CPU goals are set against.
 *
 * Scope: WebSocket transport only (no polling, no upgrade), the main namespace only, no
 * heartbeat of its own (benchmark runs are short; a client ping `2` is still answered with `3`),
 * no binary packets, no compression. `ws` (noServer) does the HTTP upgrade handshake and reads
 * client frames; the server keeps the raw socket from the `upgrade` event and writes every
 * frame to it itself.
 *
 * Broadcast: the payload is encoded and framed ONCE per broadcast, then the same Buffer is
 * written to each recipient's raw socket — nothing else per recipient (no per-socket queue, no
 * batching across broadcasts, no backpressure bound: like socket.io, a client that stops
 * reading lets the kernel and Node buffer without limit; acceptable for a benchmark server).
 */
import type { IncomingMessage, Server as HttpServer } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { BenchIo, BenchOperator } from "./bench-io.ts";
import { BareSocket, MAX_PAYLOAD, textFrame, type BareHub } from "./bare-socket.ts";

/** An immutable broadcast target: rooms (empty = every socket), excepted rooms, one excepted socket. */
class BareOperator implements BenchOperator {
  private readonly server: BareServer;
  private readonly rooms: readonly string[];
  private readonly excepts: readonly string[];
  private readonly exceptSocket: BareSocket | undefined;

  constructor(server: BareServer, rooms: readonly string[], excepts: readonly string[], exceptSocket: BareSocket | undefined) {
    this.server = server;
    this.rooms = rooms;
    this.excepts = excepts;
    this.exceptSocket = exceptSocket;
  }

  to(room: string): BenchOperator {
    return new BareOperator(this.server, [...this.rooms, room], this.excepts, this.exceptSocket);
  }

  except(room: string): BenchOperator {
    return new BareOperator(this.server, this.rooms, [...this.excepts, room], this.exceptSocket);
  }

  emit(ev: string, ...args: unknown[]): boolean {
    this.server.broadcast(this.rooms, this.excepts, this.exceptSocket, ev, args);
    return true;
  }
}

/** The bare server: attach to an HTTP server; it answers WebSocket upgrades on `/socket.io/`. */
export class BareServer implements BenchIo, BareHub {
  /** Sockets connected to the main namespace. */
  private readonly sockets = new Set<BareSocket>();
  /** Every upgraded connection, connected or not (closed on {@link BareServer.close}). */
  private readonly open = new Set<BareSocket>();
  private readonly rooms = new Map<string, Set<BareSocket>>();
  private readonly connectionListeners: ((socket: BareSocket) => void)[] = [];
  private readonly http: HttpServer;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false, maxPayload: MAX_PAYLOAD });

  /** Starts answering upgrades on `http`. */
  constructor(http: HttpServer) {
    this.http = http;
    http.on("upgrade", (req: IncomingMessage, raw: Duplex, head: Buffer) => this.onUpgrade(req, raw, head));
  }

  /** Registers a listener for new main-namespace connections. */
  on(_ev: "connection", listener: (socket: BareSocket) => void): this {
    this.connectionListeners.push(listener);
    return this;
  }

  /** A broadcast to the members of `room`. */
  to(room: string): BenchOperator {
    return new BareOperator(this, [room], [], undefined);
  }

  /** A broadcast to every socket outside `room`. */
  except(room: string): BenchOperator {
    return new BareOperator(this, [], [room], undefined);
  }

  /** Broadcasts to every connected socket. */
  emit(ev: string, ...args: unknown[]): boolean {
    this.broadcast([], [], undefined, ev, args);
    return true;
  }

  /** Closes every connection and the HTTP server. */
  close(): Promise<void> {
    for (const socket of this.open) socket.raw.destroy();
    this.wss.close();
    return new Promise((done) => this.http.close(() => done()));
  }

  /** A broadcast to `room` leaving `socket` out (`socket.to(room)`). */
  toExcept(room: string, socket: BareSocket): BenchOperator {
    return new BareOperator(this, [room], [], socket);
  }

  /** Adds `socket` to `room` (called by {@link BareSocket.join}). */
  addMember(room: string, socket: BareSocket): void {
    let members = this.rooms.get(room);
    if (members === undefined) this.rooms.set(room, (members = new Set()));
    members.add(socket);
  }

  /** A socket has sent `40`: it now counts for broadcasts. */
  connect(socket: BareSocket): void {
    this.sockets.add(socket);
    for (const listener of this.connectionListeners) listener(socket);
  }

  /**
   * Encodes `[ev, ...args]` and frames it once, then writes that one Buffer to every
   * recipient's raw socket: the members of `rooms` (deduplicated with one Set when there are
   * several; every connected socket when `rooms` is empty), minus the members of `excepts` and
   * `exceptSocket` (one Set).
   */
  broadcast(rooms: readonly string[], excepts: readonly string[], exceptSocket: BareSocket | undefined, ev: string, args: unknown[]): void {
    // [SIO5:event-payload] `42[name, ...args]`, main namespace, no ack id.
    const frame = textFrame(`42${JSON.stringify([ev, ...args])}`);
    let excluded: Set<BareSocket> | undefined;
    if (excepts.length > 0 || exceptSocket !== undefined) {
      excluded = new Set();
      if (exceptSocket !== undefined) excluded.add(exceptSocket);
      for (const room of excepts) for (const s of this.rooms.get(room) ?? []) excluded.add(s);
    }
    let targets: Iterable<BareSocket>;
    if (rooms.length === 0) {
      targets = this.sockets;
    } else if (rooms.length === 1) {
      // One room: its member Set has no duplicates, iterate it directly.
      const members = this.rooms.get(rooms[0] as string);
      if (members === undefined) return;
      targets = members;
    } else {
      const union = new Set<BareSocket>();
      for (const room of rooms) for (const s of this.rooms.get(room) ?? []) union.add(s);
      targets = union;
    }
    if (excluded === undefined) {
      for (const s of targets) s.raw.write(frame);
    } else {
      for (const s of targets) if (!excluded.has(s)) s.raw.write(frame);
    }
  }

  private onUpgrade(req: IncomingMessage, raw: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://localhost");
    const q = url.searchParams;
    if (url.pathname !== "/socket.io/" || q.get("EIO") !== "4" || q.get("transport") !== "websocket") {
      raw.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    this.wss.handleUpgrade(req, raw, head, (ws) => {
      const socket = new BareSocket(this, raw, ws);
      this.open.add(socket);
      raw.once("close", () => this.remove(socket));
      socket.open();
    });
  }

  private remove(socket: BareSocket): void {
    this.open.delete(socket);
    this.sockets.delete(socket);
    for (const room of socket.rooms) {
      const members = this.rooms.get(room);
      members?.delete(socket);
      if (members?.size === 0) this.rooms.delete(room);
    }
    socket.closed();
  }
}
