/**
 * The trace switch: with `ROOMCAST_TRACE=1`, every Engine.IO packet in and out of every session is
 * printed on one line, in the notation of spec/'s transcripts (`client: 42["hi"]`,
 * `server-binary: 01 02`), followed by what it means at both protocol layers.
 *
 * Off by default and free when off: nothing is hooked unless {@link traceEngine} is called. The
 * trace decodes with the same {@link Decoder} the server uses (a second instance per direction),
 * so a packet the server refuses is shown with the very reason it was refused.
 */
import { Decoder } from "./protocol/decoder.ts";
import { ProtocolError } from "./protocol/errors.ts";
import { PacketType, type Packet } from "./protocol/packet.ts";
import type { ConnectionError, EngineServer } from "./transport/engine-server.ts";
import type { CloseReason, EngineSocket } from "./transport/engine-socket.ts";
import { errorBody, httpStatusFor } from "./transport/errors.ts";
import type { EnginePacket, EnginePacketType } from "./transport/transport.ts";

/** Who sent a frame: `"client"` (incoming) or `"server"` (outgoing). */
export type TraceSender = "client" | "server";

/** Options of {@link traceEngine}. */
export interface TraceOptions {
  /**
   * Decode messages as Socket.IO packets, with the server's attachment limit (so a refused packet
   * is traced with the server's reason). Omit for a bare Engine.IO server. Default: omitted.
   */
  socketIo?: { maxAttachments: number };
  /** Receives each finished line (no trailing newline). Default: writes to process.stderr. */
  write?: (line: string) => void;
}

/** Longest text shown for one frame; the rest is summarised as `…(+N)`. */
const MAX_TEXT = 200;
/** Bytes of a binary frame shown in hex. */
const MAX_BYTES = 32;

/** Engine.IO packet type digits [EIO4:packet-types]; `error` has none (it was never valid). */
const TYPE_DIGIT: Readonly<Record<EnginePacketType, string>> = {
  open: "0",
  close: "1",
  ping: "2",
  pong: "3",
  message: "4",
  upgrade: "5",
  noop: "6",
  error: "",
};

/**
 * Whether the environment asks for the trace.
 *
 * @param env - the environment to read; default `process.env`.
 * @returns true when `ROOMCAST_TRACE` is `"1"` (or `"true"`).
 */
export function isTraceEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env["ROOMCAST_TRACE"];
  return value === "1" || value === "true";
}

/**
 * Formats frames of one direction of one session, keeping the little state the meaning needs
 * (a binary packet's text part announces attachments that arrive as later frames).
 *
 * @example
 * ```ts
 * const f = new FrameFormatter("client", { maxAttachments: 10 });
 * f.format({ type: "message", data: '42["hi"]' }); // 'client: 42["hi"]  # SIO EVENT / "hi" (no args)'
 * ```
 */
export class FrameFormatter {
  private readonly decoder: Decoder | undefined;
  /** Attachments announced by the pending binary packet, and how many arrived. */
  private expected = 0;
  private received = 0;

  /**
   * @param sender - who sends the frames this formatter sees.
   * @param socketIo - decode messages as Socket.IO packets with this attachment limit; omit for
   *   plain Engine.IO.
   */
  constructor(
    readonly sender: TraceSender,
    socketIo?: { maxAttachments: number },
  ) {
    this.decoder = socketIo === undefined ? undefined : new Decoder({ maxAttachments: socketIo.maxAttachments });
  }

  /**
   * One frame as a transcript line plus its meaning, e.g. `server: 2  # EIO PING`.
   *
   * @param packet - the Engine.IO packet, as the session hands it over.
   */
  format(packet: EnginePacket): string {
    return `${this.wire(packet)}  # ${this.meaning(packet)}`;
  }

  private wire(packet: EnginePacket): string {
    const { data } = packet;
    if (Buffer.isBuffer(data)) return `${this.sender}-binary: ${hex(data)}`;
    return `${this.sender}: ${TYPE_DIGIT[packet.type]}${clip(data ?? "")}`;
  }

  private meaning(packet: EnginePacket): string {
    switch (packet.type) {
      case "open":
        return "EIO OPEN (handshake)";
      case "close":
        return "EIO CLOSE (end of session)";
      case "ping":
        return packet.data === "probe" ? "EIO PING probe (upgrade check)" : "EIO PING";
      case "pong":
        return packet.data === "probe" ? "EIO PONG probe (upgrade check answered)" : "EIO PONG";
      case "upgrade":
        return "EIO UPGRADE (the session moves to this transport)";
      case "noop":
        return "EIO NOOP";
      case "error":
        return "EIO undecodable packet";
      case "message":
        return this.messageMeaning(packet.data ?? "");
    }
  }

  private messageMeaning(data: string | Buffer): string {
    const isBinary = Buffer.isBuffer(data);
    if (this.decoder === undefined) {
      return isBinary ? `EIO MESSAGE binary (${plural(data.length, "byte")})` : `EIO MESSAGE text (${plural(data.length, "char")})`;
    }
    let packet: Packet | null;
    try {
      packet = this.decoder.add(data);
    } catch (err) {
      this.expected = 0;
      if (err instanceof ProtocolError) return `SIO refused (${err.code}): ${err.message}`;
      throw err;
    }
    if (isBinary) {
      this.received++;
      const where = `SIO attachment ${this.received}/${this.expected} (${plural(data.length, "byte")})`;
      return packet === null ? where : `${where}, packet complete: ${describePacket(packet, this.sender)}`;
    }
    if (packet !== null) return describePacket(packet, this.sender);
    // The text part of a binary packet: accepted, and held by the decoder until its attachments come.
    const pending = binaryTextPart(data);
    this.expected = pending.attachments;
    this.received = 0;
    return `${describePacket(pending.packet, this.sender)}, ${plural(pending.attachments, "attachment")} to follow`;
  }
}

/**
 * Prints every frame of every session of `engine` (incoming as they arrive, outgoing as they are
 * handed to the transport), each session's close reason, and refused requests.
 *
 * Outgoing frames are taken from the session's `flush` event, which leaves out packets dropped by a
 * close, so the trace shows what really went out. The one exception is the open packet: the
 * session may send it from its constructor, before `connection` lets anyone listen, so its line is
 * always rebuilt from the session and the engine options (and says so), and a flushed open packet
 * is not printed again; test/spec/trace.test.ts checks the rebuilt line against the frame a client
 * actually receives.
 *
 * @param engine - the Engine.IO server (`io.engine` for a Socket.IO server).
 * @param opts - see {@link TraceOptions}.
 * @returns a function that stops tracing new sessions and refusals.
 * @example
 * ```ts
 * if (isTraceEnabled()) traceEngine(io.engine, { socketIo: { maxAttachments: 10 } });
 * ```
 */
export function traceEngine(engine: EngineServer, opts: TraceOptions = {}): () => void {
  const write = opts.write ?? writeToStderr;
  const onConnection = (socket: EngineSocket): void => {
    const prefix = `[trace ${socket.id}]`;
    const incoming = new FrameFormatter("client", opts.socketIo);
    // The server may send as many attachments as it likes; only incoming packets are limited.
    const outgoing = new FrameFormatter("server", opts.socketIo && { maxAttachments: Number.MAX_SAFE_INTEGER });
    write(`${prefix} ${outgoing.format(rebuiltOpenPacket(engine, socket))}, rebuilt: it left before tracing could attach`);
    socket.on("packet", (packet: EnginePacket) => write(`${prefix} ${incoming.format(packet)}`));
    socket.on("flush", (packets: EnginePacket[]) => {
      // The open packet was printed above; a session sends exactly one.
      for (const packet of packets) if (packet.type !== "open") write(`${prefix} ${outgoing.format(packet)}`);
    });
    // [EIO4:upgrade] The probe and the `5` are handled by the upgrade itself and never pass
    // through the session's packet events: its two milestones are reported instead.
    socket.on("upgrading", () => write(`${prefix} upgrading: a new websocket answered the probe (2probe → 3probe)`));
    socket.on("upgrade", () => write(`${prefix} upgraded: the client sent 5, the session now runs on websocket`));
    socket.once("close", (reason: CloseReason) => write(`${prefix} closed: ${reason}`));
  };
  const onRefusal = (err: ConnectionError): void => {
    const { req, code } = err;
    write(`[trace] refused ${req.method ?? "?"} ${req.url ?? ""}: ${httpStatusFor(code)} ${errorBody(code)}`);
  };
  engine.on("connection", onConnection);
  engine.on("connection_error", onRefusal);
  return () => {
    engine.off("connection", onConnection);
    engine.off("connection_error", onRefusal);
  };
}

/** The open packet `socket` was greeted with [EIO4:handshake], from the values it is built from. */
function rebuiltOpenPacket(engine: EngineServer, socket: EngineSocket): EnginePacket {
  const { opts } = engine;
  const upgrades = socket.transport.name === "polling" && opts.allowUpgrades && opts.transports.includes("websocket") ? ["websocket"] : [];
  const data = JSON.stringify({
    sid: socket.id,
    upgrades,
    pingInterval: opts.pingInterval,
    pingTimeout: opts.pingTimeout,
    maxPayload: opts.maxHttpBufferSize,
  });
  return { type: "open", data };
}

/** A decoded Socket.IO packet in a few words, e.g. `SIO EVENT /chat id=3 "say" (1 arg)`. */
function describePacket(packet: Packet, sender: TraceSender): string {
  const head = `SIO ${PacketType[packet.type]} ${packet.nsp}${packet.id === undefined ? "" : ` id=${packet.id}`}`;
  const data = packet.data;
  switch (packet.type) {
    case PacketType.CONNECT:
      if (sender === "server" && isRecord(data)) return `${head} accepted, socket id ${String(data["sid"])}`;
      return data === undefined ? `${head} (no auth)` : `${head} with auth keys [${Object.keys(data as object).join(", ")}]`;
    case PacketType.CONNECT_ERROR:
      return `${head} refused: ${JSON.stringify(isRecord(data) ? data["message"] : data)}`;
    case PacketType.EVENT:
    case PacketType.BINARY_EVENT: {
      if (!Array.isArray(data)) return head;
      const ack = packet.id === undefined ? "" : ", ack requested";
      return `${head} ${JSON.stringify(data[0])} (${argCount(data.slice(1))}${ack})`;
    }
    case PacketType.ACK:
    case PacketType.BINARY_ACK:
      return `${head} (${argCount(data)})`;
    default:
      return head;
  }
}

function argCount(args: unknown): string {
  const n = Array.isArray(args) ? args.length : 0;
  return n === 0 ? "no args" : plural(n, "arg");
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Header and JSON of a binary packet's text part that the decoder has already accepted (so the
 * shape is known to be valid); placeholders stay unresolved. The decoder keeps its pending packet
 * private, hence this short re-read, done only while tracing.
 */
function binaryTextPart(text: string): { packet: Packet; attachments: number } {
  const dash = text.indexOf("-");
  const attachments = Number(text.slice(1, dash));
  let i = dash + 1;
  let nsp = "/";
  if (text[i] === "/") {
    const comma = text.indexOf(",", i);
    const end = comma === -1 ? text.length : comma;
    nsp = text.slice(i, end);
    i = end + 1;
  }
  let j = i;
  while (j < text.length && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x39) j++;
  const packet: Packet = { type: Number(text[0]) as PacketType, nsp };
  if (j > i) packet.id = Number(text.slice(i, j));
  if (j < text.length) packet.data = JSON.parse(text.slice(j)) as unknown;
  return { packet, attachments };
}

function clip(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT)}…(+${text.length - MAX_TEXT})`;
}

/** Bytes as spaced hex pairs, the transcripts' binary notation. */
function hex(data: Buffer): string {
  const shown = data.subarray(0, MAX_BYTES).toString("hex").replace(/(..)(?!$)/g, "$1 ");
  return data.length <= MAX_BYTES ? shown : `${shown} …(+${data.length - MAX_BYTES} bytes)`;
}

function writeToStderr(line: string): void {
  process.stderr.write(`${line}\n`);
}
