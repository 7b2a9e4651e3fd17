/**
 * A WebSocket client written by hand over `net`, so that a test controls reading byte for byte:
 * it performs the HTTP Upgrade itself, masks its own frames (RFC 6455 §5.3: a client must) and
 * parses the server's frames itself. `pause()` stops reading from the kernel, which is what a
 * client that stops reading looks like to the server: its socket stops draining.
 */
import { createHash, randomBytes } from "node:crypto";
import net from "node:net";

/** RFC 6455 §1.3: the GUID appended to Sec-WebSocket-Key to compute Sec-WebSocket-Accept. */
const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;
const OPCODE_CLOSE = 0x8;

/** One masked client frame (FIN set) carrying `payload` (RFC 6455 §5.2). */
export function maskedFrame(payload: Buffer, opcode = OPCODE_TEXT): Buffer {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes + 4);
  header[0] = 0x80 | opcode;
  if (lengthBytes === 0) header[1] = 0x80 | length;
  else if (lengthBytes === 2) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = randomBytes(4);
  mask.copy(header, 2 + lengthBytes);
  const masked = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) masked[i] = (payload[i] as number) ^ (mask[i & 3] as number);
  return Buffer.concat([header, masked]);
}

/** A Socket.IO event as received: its name, then its arguments. */
export type RawEvent = [string, ...unknown[]];

/** A raw WebSocket Engine.IO/Socket.IO client whose reading the test switches off and on. */
export class RawWsClient {
  /** Every Socket.IO EVENT received (`42[...]` on the main namespace), in order. */
  readonly events: RawEvent[] = [];
  /** For each entry of `events`, the number of the TCP read (`data` chunk, from 1) it arrived in. */
  readonly eventReads: number[] = [];
  /** Number of TCP reads (`data` chunks) so far. */
  reads = 0;
  /** Every text frame received, in order, and `"<close>"` where the close frame came. */
  readonly log: string[] = [];
  /** Number of WebSocket frames received. */
  frames = 0;
  /** True once a close frame arrived. */
  closeFrame = false;
  private pending: Buffer = Buffer.alloc(0);
  private textWaiters: Array<{ pred: (text: string) => boolean; resolve: (text: string) => void }> = [];
  private eventWaiters: Array<{ name: string; resolve: () => void }> = [];
  private closeWaiters: Array<() => void> = [];
  private failure: Error | undefined;

  private constructor(readonly socket: net.Socket) {}

  /**
   * Connects to `/socket.io/?EIO=4&transport=websocket` on 127.0.0.1:`port`, checks the 101 answer
   * (Sec-WebSocket-Accept included) and starts parsing frames. Resolves with the Engine.IO open
   * packet's text (`0{...}`).
   */
  static async connect(port: number): Promise<{ client: RawWsClient; open: string }> {
    const socket = net.connect({ host: "127.0.0.1", port });
    // A client that stops reading never gets its close; the test destroys it.
    socket.on("error", () => socket.destroy());
    const key = randomBytes(16).toString("base64");
    socket.write(
      "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n" +
        `Host: 127.0.0.1:${port}\r\n` +
        "Upgrade: websocket\r\n" +
        "Connection: Upgrade\r\n" +
        `Sec-WebSocket-Key: ${key}\r\n` +
        "Sec-WebSocket-Version: 13\r\n\r\n",
    );
    const rest = await readHead(socket, key);
    const client = new RawWsClient(socket);
    const open = client.nextText((t) => t.startsWith("0"));
    socket.on("data", (chunk: Buffer) => client.onData(chunk));
    if (rest.length > 0) client.onData(rest);
    return { client, open: await open };
  }

  /** Sends one masked text frame. */
  sendText(text: string): void {
    this.socket.write(maskedFrame(Buffer.from(text, "utf8")));
  }

  /** Resolves with the next text message matching `pred` (checked as messages arrive). */
  nextText(pred: (text: string) => boolean): Promise<string> {
    return new Promise((resolve) => this.textWaiters.push({ pred, resolve }));
  }

  /** Resolves once an event named `name` has been received (at once if it already was). */
  until(name: string): Promise<void> {
    this.check();
    if (this.events.some((e) => e[0] === name)) return Promise.resolve();
    return new Promise((resolve) => this.eventWaiters.push({ name, resolve }));
  }

  /** Resolves once the server's close frame has been received (at once if it already was). */
  untilCloseFrame(): Promise<void> {
    if (this.closeFrame) return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  /** Stops reading: the kernel's receive buffer fills and the server's socket stops draining. */
  pause(): void {
    this.socket.pause();
  }

  /** Reads again. */
  resume(): void {
    this.socket.resume();
  }

  /** Drops the connection. */
  destroy(): void {
    this.socket.destroy();
  }

  /** Throws if the server sent something that is not a valid server frame. */
  check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private onData(chunk: Buffer): void {
    this.reads++;
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let offset = 0;
    for (;;) {
      const frame = parseFrame(buf, offset);
      if (frame === null) break;
      if (frame instanceof Error) {
        this.failure = frame;
        this.socket.destroy();
        return;
      }
      offset = frame.end;
      this.onFrame(frame.opcode, buf.subarray(frame.start, frame.end));
    }
    buf = buf.subarray(offset);
    // Copied so that the big chunk it came from can be collected.
    this.pending = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
  }

  private onFrame(opcode: number, payload: Buffer): void {
    this.frames++;
    if (opcode === OPCODE_CLOSE) {
      this.closeFrame = true;
      this.log.push("<close>");
      for (const resolve of this.closeWaiters.splice(0)) resolve();
      return;
    }
    if (opcode !== OPCODE_TEXT) return;
    const text = payload.toString("utf8");
    this.log.push(text);
    const waiter = this.textWaiters.findIndex((w) => w.pred(text));
    if (waiter >= 0) {
      const [w] = this.textWaiters.splice(waiter, 1);
      w?.resolve(text);
    }
    // [SIO5:event-payload] `42[...]` is an EVENT on the main namespace.
    if (!text.startsWith("42")) return;
    const event = JSON.parse(text.slice(2)) as RawEvent;
    this.events.push(event);
    this.eventReads.push(this.reads);
    const ready = this.eventWaiters.filter((w) => w.name === event[0]);
    this.eventWaiters = this.eventWaiters.filter((w) => w.name !== event[0]);
    for (const w of ready) w.resolve();
  }
}

/** Reads the HTTP response head; checks 101 and the accept key. Resolves with the bytes after it. */
function readHead(socket: net.Socket, key: string): Promise<Buffer> {
  const accept = createHash("sha1").update(key + WS_GUID).digest("base64");
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onData);
      socket.off("close", onClose);
      const text = head.subarray(0, end).toString("latin1");
      if (!text.startsWith("HTTP/1.1 101")) reject(new Error(`upgrade refused: ${text}`));
      else if (!new RegExp(`^sec-websocket-accept: ${escape(accept)}$`, "im").test(text)) reject(new Error(`bad accept key: ${text}`));
      else resolve(head.subarray(end + 4));
    };
    const onClose = (): void => reject(new Error("closed during the upgrade"));
    socket.on("data", onData);
    socket.once("close", onClose);
  });
}

function escape(s: string): string {
  return s.replace(/[+/=]/g, (c) => `\\${c}`);
}

/** One complete server frame at `offset`, null if incomplete, an Error if not a valid server frame. */
function parseFrame(buf: Buffer, offset: number): { opcode: number; start: number; end: number } | null | Error {
  if (buf.length - offset < 2) return null;
  const b0 = buf[offset] as number;
  const b1 = buf[offset + 1] as number;
  // roomcast and ws never fragment, and RFC 6455 §5.1 forbids a server to mask.
  if ((b0 & 0x80) === 0) return new Error("fragmented server frame");
  if ((b1 & 0x80) !== 0) return new Error("masked server frame");
  const opcode = b0 & 0x0f;
  if (opcode !== OPCODE_TEXT && opcode !== OPCODE_BINARY && opcode !== OPCODE_CLOSE) return new Error(`unexpected opcode ${opcode}`);
  let length = b1 & 0x7f;
  let start = offset + 2;
  if (length === 126) {
    if (buf.length - offset < 4) return null;
    length = buf.readUInt16BE(offset + 2);
    start = offset + 4;
  } else if (length === 127) {
    if (buf.length - offset < 10) return null;
    length = Number(buf.readBigUInt64BE(offset + 2));
    start = offset + 10;
  }
  const end = start + length;
  if (end > buf.length) return null;
  return { opcode, start, end };
}
