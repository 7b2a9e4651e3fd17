/**
 * The WebSocket transport: Engine.IO packets over a `ws` WebSocket, one packet per frame.
 *
 * [EIO4:websocket-framing] Over WebSocket each Engine.IO packet is one frame: text packets are
 * text frames (`4hello`), binary messages are binary frames carrying the raw bytes (no type
 * prefix, the frame opcode says "binary message").
 */
import type { Duplex } from "node:stream";
import { decodePacket, encodePacket } from "engine.io-parser";
import { WebSocket } from "ws";
import type { RawData } from "ws";
import { fromParser } from "./transport.ts";
import { frameOf } from "./frame.ts";
import type { EnginePacket, Transport, TransportSink } from "./transport.ts";

// ws merges its own defaults into the options of every send(); four frozen objects cover every
// combination so the hot path allocates none.
const TEXT_COMPRESSED = Object.freeze({ binary: false, compress: true });
const TEXT_PLAIN = Object.freeze({ binary: false, compress: false });
const BINARY_COMPRESSED = Object.freeze({ binary: true, compress: true });
const BINARY_PLAIN = Object.freeze({ binary: true, compress: false });
/** `WebSocket.OPEN`, read once: every flush asks, and a module constant is a plain compare. */
const OPEN = WebSocket.OPEN;

/** ws hands a message over as one Buffer, a list of fragments, or an ArrayBuffer (by binaryType). */
function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** The transport of each WebSocket, for the listeners below (called with the WebSocket as `this`). */
const TRANSPORTS = new WeakMap<WebSocket, WebSocketTransport>();

function onWsMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  TRANSPORTS.get(this)?.onMessage(data, isBinary);
}

function onWsError(this: WebSocket, err: Error): void {
  TRANSPORTS.get(this)?.onError(err);
}

function onWsClose(this: WebSocket): void {
  TRANSPORTS.get(this)?.onClose();
}

/**
 * Engine.IO transport over an established `ws` WebSocket.
 *
 * Reports packets, errors, its close and drains to its `sink` (see {@link TransportSink}).
 *
 * @example
 * ```ts
 * wss.handleUpgrade(req, socket, head, (ws) => {
 *   const transport = new WebSocketTransport(ws, socket);
 *   transport.sink = session; // session.onTransportPacket(p) for each packet
 * });
 * ```
 */
export class WebSocketTransport implements Transport {
  /** Always `"websocket"`. */
  readonly name = "websocket" as const;
  /** Who hears this transport (the session, or an upgrade while it probes). */
  sink: TransportSink | null = null;

  private readonly ws: WebSocket;
  /**
   * The raw socket of the upgrade request. Held here (rather than read from ws internals) so a
   * batch of frames can be corked into one write.
   */
  private readonly socket: Duplex;
  /**
   * True when no per-message compression was negotiated: frames are then built by roomcast
   * ({@link frameOf}) and written to the socket directly, so a broadcast's frame is shared by
   * all its recipients. With compression, every frame goes through ws (which deflates).
   */
  // Initialised here, not only in the constructor: a field declared without a value starts as
  // `undefined`, and V8 then types it "anything", so every flush paid a generic truthiness test
  // for it (seen in the optimised flush code) instead of a compare with `true`.
  readonly rawFrames: boolean = false;
  /** Frames handed to ws whose write callback has not run yet (compression mode only). */
  private pendingWrites = 0;
  /**
   * Compress flag of the packet being encoded. engine.io-parser's Node build calls its callback
   * synchronously, so a field read by one bound callback replaces a closure per packet.
   */
  private compressCurrent = true;
  private closed = false;
  /** The socket's `drain` is listened to (see {@link watchDrain}). */
  private drainWatched = false;
  private boundWriteEncoded: ((encoded: unknown) => void) | null = null;
  private boundOnWritten: (() => void) | null = null;

  /**
   * @param ws - an open WebSocket, as handed over by `WebSocketServer#handleUpgrade`.
   * @param socket - the raw socket the upgrade arrived on (the `socket` argument of the
   *   http server's `upgrade` event); used to cork batches.
   */
  constructor(ws: WebSocket, socket: Duplex) {
    this.ws = ws;
    this.socket = socket;
    this.rawFrames = !ws.extensions.includes("permessage-deflate");
    // The WebSocket's listeners are shared by every connection and find their transport in
    // TRANSPORTS: three bound functions per connection (about 170 bytes) fewer. The socket's
    // drain listener, writeEncoded and onWritten are bound on first use: most connections never
    // fill their socket's buffer, use compression or pass send callbacks (see watchDrain).
    TRANSPORTS.set(ws, this);
    ws.on("message", onWsMessage);
    ws.on("error", onWsError);
    ws.on("close", onWsClose);
  }

  /**
   * True when a send would be written now: the socket is open and its own buffer is below its
   * high-water mark (raw frames), or nothing sent earlier is still pending (compression).
   */
  get writable(): boolean {
    if (this.ws.readyState !== OPEN) return false;
    if (!this.rawFrames) return this.pendingWrites === 0;
    if (!this.socket.writableNeedDrain) return true;
    // Full (maybe by a frame ws wrote itself, a pong or a close): whoever asks waits for the drain.
    this.watchDrain();
    return false;
  }

  /** Bytes written to the socket but not yet handed to the kernel (raw frames only). */
  get bufferedBytes(): number {
    return this.rawFrames ? this.socket.writableLength : this.ws.bufferedAmount;
  }

  /**
   * Writes the packets as frames, in order, with a single write to the socket.
   *
   * @param packets - packets to write; text ones become text frames, Buffer messages binary frames.
   */
  send(packets: readonly EnginePacket[], notifyWritten = false): void {
    if (this.rawFrames) {
      this.sendFrames(packets, notifyWritten);
      return;
    }
    // Corked, the frames (a header and a payload chunk each) pile up in the socket's buffer and
    // uncork hands them to the kernel in one writev. Uncorking on the same tick keeps latency at
    // zero. With permessage-deflate, ws compresses asynchronously and the frames leave later,
    // outside the cork: still correct, just not batched.
    this.socket.cork();
    try {
      for (const packet of packets) {
        this.compressCurrent = packet.options?.compress ?? true;
        encodePacket(packet, true, (this.boundWriteEncoded ??= this.writeEncoded.bind(this)));
      }
    } finally {
      this.socket.uncork();
    }
  }

  /**
   * Writes one packet: {@link WebSocketTransport.send} with a list of one, without the list.
   * A broadcast recipient's usual write: the message's shared frame, one `socket.write`.
   *
   * @param packet - the packet to write.
   */
  sendOne(packet: EnginePacket, notifyWritten = false): void {
    if (!this.rawFrames || notifyWritten) {
      this.send([packet], notifyWritten);
      return;
    }
    // Nothing may follow a close frame.
    if (this.ws.readyState !== OPEN) return;
    const frame = frameOf(packet);
    const socket = this.socket;
    if (frame.length === 1) {
      if (!socket.write(frame[0])) this.watchDrain();
      return;
    }
    // A binary message: its header and its bytes in one writev.
    socket.cork();
    for (let j = 0; j < frame.length; j++) socket.write(frame[j]);
    socket.uncork();
    if (socket.writableNeedDrain) this.watchDrain();
  }

  /**
   * Writes a broadcast's shared frame (raw frames only), the end-of-tick write of a recipient
   * that had nothing else to write (frame-batch.ts): the socket must be open and below its
   * high-water mark, as {@link WebSocketTransport.writable} asks of any flush.
   *
   * @param frame - the message's frame ({@link SharedMessage.wsFrame}).
   * @returns false, having written nothing, when the socket cannot take it now.
   */
  writeFrame(frame: readonly Buffer[]): boolean {
    // Nothing may follow a close frame.
    if (this.ws.readyState !== OPEN) return false;
    const socket = this.socket;
    // `=== true`: one compare, where a truthiness test is about a dozen instructions per write.
    if (socket.writableNeedDrain === true) return false;
    if (frame.length === 1) {
      socket.write(frame[0] as Buffer);
      return true;
    }
    // A binary message: its header and its bytes in one writev.
    socket.cork();
    for (let j = 0; j < frame.length; j++) socket.write(frame[j] as Buffer);
    socket.uncork();
    return true;
  }

  /**
   * Closes the WebSocket: `final` packets are written first, then the close frame (which is
   * itself the close signal over WebSocket). Idempotent.
   *
   * @param final - last packets of a server-initiated close.
   */
  close(final?: readonly EnginePacket[]): void {
    if (this.closed) return;
    if (final !== undefined && final.length > 0 && this.ws.readyState === OPEN) this.send(final);
    // ws ignores a second close() while closing, so no flag of our own is needed beyond `closed`.
    this.ws.close();
  }

  /** A WebSocket session never upgrades further, so discarding it is closing it. */
  discard(): void {
    this.close();
  }

  /**
   * Drops the TCP connection without a close frame: queued behind a backlog the client does not
   * read, the frame would hold the socket (and its buffer) until ws' close timeout, 30 s.
   */
  destroy(): void {
    this.ws.terminate();
  }

  /**
   * Writes each packet's frame to the socket; several are corked into one writev. A shared
   * broadcast message brings its frame already built ({@link frameOf}).
   */
  private sendFrames(packets: readonly EnginePacket[], notifyWritten: boolean): void {
    // Nothing may follow a close frame.
    if (this.ws.readyState !== OPEN) return;
    const socket = this.socket;
    const batch = packets.length > 1;
    if (batch) socket.cork();
    for (let i = 0; i < packets.length; i++) {
      const frame = frameOf(packets[i] as EnginePacket);
      const last = notifyWritten && i === packets.length - 1 ? frame.length - 1 : -1;
      for (let j = 0; j < frame.length; j++) {
        if (j === last) socket.write(frame[j], this.writtenCallback());
        else socket.write(frame[j]);
      }
    }
    if (batch) socket.uncork();
    if (socket.writableNeedDrain) this.watchDrain();
    if (notifyWritten) this.pendingWrites++;
  }

  /**
   * Listens for the socket's `drain` from the first time its buffer went past the high-water
   * mark (a write returned false, or {@link writable} found it full), and from then on. Added
   * on demand rather than at the handshake: a bound function and a listener per connection
   * (about 80 heap bytes and the work of adding them) that most connections never use. The
   * socket emits `drain` only after its buffer was full, which is always seen here first: every
   * write of this transport checks, and so does every flush through {@link writable}.
   */
  private watchDrain(): void {
    if (this.drainWatched) return;
    this.drainWatched = true;
    this.socket.on("drain", this.onSocketDrain.bind(this));
  }

  private onSocketDrain(): void {
    if (!this.closed) this.sink?.onTransportDrain();
  }

  private writeEncoded(encoded: unknown): void {
    let binary: boolean;
    if (typeof encoded === "string") binary = false;
    else if (encoded instanceof Uint8Array) binary = true;
    else throw new TypeError("engine.io-parser produced neither a string nor bytes");
    this.pendingWrites++;
    const options = binary
      ? (this.compressCurrent ? BINARY_COMPRESSED : BINARY_PLAIN)
      : (this.compressCurrent ? TEXT_COMPRESSED : TEXT_PLAIN);
    this.ws.send(encoded, options, this.writtenCallback());
  }

  private writtenCallback(): () => void {
    return (this.boundOnWritten ??= this.onWritten.bind(this));
  }

  private onWritten(): void {
    // An error here (socket gone) also surfaces as ws 'error'/'close'; only the count matters.
    this.pendingWrites--;
    if (this.pendingWrites === 0 && !this.closed) this.sink?.onTransportDrain();
  }

  /** @internal The WebSocket's `message` (see {@link onWsMessage}). */
  onMessage(data: RawData, isBinary: boolean): void {
    // [EIO4:websocket-framing] A binary frame is a binary message; a text frame carries a typed
    // packet whose first character is its type (an empty or unknown one decodes to "error").
    const packet = isBinary
      ? decodePacket(toBuffer(data), "nodebuffer")
      : decodePacket(toBuffer(data).toString("utf8"));
    this.sink?.onTransportPacket(fromParser(packet));
  }

  /** @internal The WebSocket's `error`. */
  onError(err: Error): void {
    // Once the session has let go of this transport (no sink) nobody needs to hear about it.
    this.sink?.onTransportError(err);
  }

  /** @internal The WebSocket's `close`. */
  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.sink?.onTransportClose();
  }
}
