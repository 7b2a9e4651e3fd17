/**
 * One Client per Engine.IO connection: decodes Socket.IO packets and multiplexes the
 * connection's namespaces (one Socket each).
 */
import type { IncomingMessage } from "node:http";
import { Decoder } from "../protocol/decoder.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { PacketType, type Packet } from "../protocol/packet.ts";
import { normalizeEncoded, validateDecodedPacket, type EncodedParts, type Parser, type ParserDecoder, type ParserEncoder } from "../protocol/parser.ts";
import type { ServerMetrics } from "../observe/metrics.ts";
import type { SocketId, WriteOptions } from "../rooms/types.ts";
import type { EngineSocket, SessionConsumer } from "../transport/engine-socket.ts";
import { SharedMessage } from "../transport/frame.ts";
import { COMPRESS, NO_COMPRESS } from "../transport/transport.ts";
import type { AnyNamespace, AnySocket } from "./any.ts";
import { foreignWrite } from "../compat/socket-io-adapter.ts";
import type { NamespaceLookup } from "./registry.ts";
import type { DisconnectReason } from "./socket.ts";
import type { ConnectDeadlines, ConnectTicket, ConnectWaiter } from "./connect-deadlines.ts";

/** The sockets of a client in no namespace: shared, never written to (replaced on the first connect). */
const NO_SOCKETS: AnySocket[] = [];

/** What a client needs from the server: settings and namespace lookup. */
export interface ClientHost {
  readonly maxAttachments: number;
  /** The server's counters, or null when the `metrics` option is off. */
  readonly metrics: ServerMetrics | null;
  /** The server's one encoder (`io.encoder`). */
  readonly encoder: ParserEncoder;
  /** A custom `parser` option, or null for roomcast's own codec (decoded without events). */
  readonly customParser: Parser | null;
  /**
   * [SIO5:connect-timeout] The server's queue of connections waiting for their first CONNECT,
   * or null when connectTimeout is 0 (no deadline).
   */
  readonly connectDeadlines: ConnectDeadlines | null;
  /** The namespace named exactly `name` if it exists (no dynamic matcher asked). */
  namespaceNamed(name: string): AnyNamespace | undefined;
  /** Finds (or, through a dynamic matcher, creates) the namespace `name`, or says why not. */
  resolveNamespace(name: string, auth: Record<string, unknown>, done: (result: NamespaceLookup) => void): void;
}

/**
 * The Engine.IO messages of the last encoded packet written. A broadcast hands the same
 * `encoded` array to each recipient in turn, so remembering the last one is enough for all of
 * them to share one set of messages (and so one WebSocket frame); a direct emit just builds
 * its own. It holds one packet at most.
 */
class LastMessages {
  encoded: EncodedParts | undefined = undefined;
  /** The write options `messages` were last asked with (their `compress` is `compress`). */
  opts: WriteOptions | undefined = undefined;
  compress = true;
  messages: SharedMessage[] = [];
}
/**
 * Fields of one constant object rather than module `let`s: every read of a `let` checks it is
 * initialised (per recipient, three such checks), a field read only checks the object's shape.
 */
const last = new LastMessages();

/** Send options of a direct message that must not be compressed (frozen, shared). */
const NO_COMPRESS_SEND = Object.freeze({ compress: false });

function engineMessagesOf(encoded: EncodedParts, opts: WriteOptions): SharedMessage[] {
  const cached = last;
  // A broadcast hands every recipient the same `encoded` and the same options object: two
  // pointer compares per recipient, before any option is read.
  if (encoded === cached.encoded && opts === cached.opts) return cached.messages;
  const compress = opts.compress !== false;
  if (encoded !== cached.encoded || compress !== cached.compress) {
    const options = compress ? COMPRESS : NO_COMPRESS;
    // Once per broadcast: a custom parser's parts may need converting (a typed array).
    cached.messages = normalizeEncoded(encoded).map((part) => new SharedMessage(part, options));
    cached.encoded = encoded;
    cached.compress = compress;
  }
  cached.opts = opts;
  return cached.messages;
}

/**
 * The decoder of every client's text messages that are not the text part of a binary packet.
 * Decoding those leaves nothing behind in the decoder (only a binary packet waits, for its
 * attachments), so one instance serves all connections, where a Decoder per connection cost 56
 * heap bytes and its construction; its limits are the defaults, and the one that differs per
 * server (maxAttachments) only concerns binary packets, which each client's own decoder takes.
 */
const TEXT_DECODER = new Decoder();

/**
 * [SIO5:packet-types] Whether a text message is the text part of a binary packet: type 5
 * (BINARY_EVENT) or 6 (BINARY_ACK), whose attachments follow.
 */
function startsBinaryPacket(text: string): boolean {
  const type = text.charCodeAt(0);
  return type === 0x35 || type === 0x36;
}

/**
 * How many recently left namespaces a client remembers: a packet crossing a leave on the wire
 * is a race over one or two namespaces, not dozens; the bound keeps a client that joins and
 * leaves many dynamic namespaces from growing the list.
 */
const MAX_LEFT = 16;

/** A Socket.IO client connection: the consumer of its Engine.IO session's messages. */
export class Client implements SessionConsumer, ConnectWaiter {
  /** The Engine.IO session id. */
  readonly id: string;
  /**
   * This client's own decoder (default parser), for binary packets only: created by the first
   * one, which it collects the attachments of. Other packets go through {@link TEXT_DECODER}.
   */
  private decoder: Decoder | null = null;
  /** The custom parser's decoder, or null (default parser). */
  private readonly customDecoder: ParserDecoder | null;
  /**
   * This client's sockets, one per namespace, in the order they connected. A client is in one
   * namespace or a few: a scan of this array costs less than a Map's ~180 bytes per connection.
   */
  private sockets: AnySocket[] = NO_SOCKETS;
  /**
   * Namespaces with a CONNECT in progress (middlewares running), so a repeated CONNECT is
   * ignored. Created on first use and dropped when empty.
   */
  private connecting: Set<string> | null = null;
  /**
   * Namespaces this client joined and has left since, most recent last (at most
   * {@link MAX_LEFT}): packets that crossed the leave on the wire are dropped, not treated as a
   * violation. Created on the first leave.
   */
  private left: string[] | null = null;
  /** This client's place in the server's connect deadlines until its first CONNECT is accepted; -1 then. */
  private connectTicket: ConnectTicket = -1;
  private closed = false;

  /** @internal Created by the server for each new Engine.IO connection. */
  constructor(
    private readonly host: ClientHost,
    readonly conn: EngineSocket,
  ) {
    this.id = conn.id;
    const parser = host.customParser;
    if (parser === null) {
      this.customDecoder = null;
    } else {
      this.customDecoder = new parser.Decoder();
      // One closure per connection, only with a custom parser: it emits packets as events.
      this.customDecoder.on("decoded", (decoded: unknown) => this.onCustomDecoded(decoded));
    }
    conn.consumer = this;
    // [SIO5:connect-timeout] a connection must join a namespace in time.
    if (host.connectDeadlines !== null) this.connectTicket = host.connectDeadlines.add(this);
  }

  /** @internal [SIO5:connect-timeout] Called by the server's connect deadlines. */
  onConnectTimeout(): void {
    this.connectTicket = -1;
    if (this.sockets.length === 0) this.close();
  }

  private stopConnectDeadline(): void {
    if (this.connectTicket === -1) return;
    this.host.connectDeadlines?.remove(this.connectTicket);
    this.connectTicket = -1;
  }

  /** False once the connection is closed or closing. */
  get open(): boolean {
    return !this.closed;
  }

  /** The HTTP request that opened the connection (socket.io's `socket.client.request`). */
  get request(): IncomingMessage {
    return this.conn.request;
  }

  /** @internal Encodes a packet for this client alone and queues it. */
  writePacket(packet: Packet, opts: WriteOptions): void {
    this.writeDirect(this.host.encoder.encode(packet), opts);
  }

  /**
   * @internal Queues the encoded parts of a packet for this client alone (a direct emit, an
   * ack, a CONNECT answer): each is its own Engine.IO packet, so `packetCreate` fires for it.
   */
  writeDirect(encoded: EncodedParts, opts: WriteOptions): void {
    if (this.closed) return;
    // [SIO5:volatile] dropped, not queued, when the connection is backed up.
    if (opts.volatile && !this.conn.writable) {
      this.host.metrics?.droppedVolatile();
      return;
    }
    const sendOpts = opts.compress === false ? NO_COMPRESS_SEND : undefined;
    const parts = normalizeEncoded(encoded);
    for (let i = 0; i < parts.length; i++) this.conn.send(parts[i] as string | Buffer, sendOpts);
  }

  /**
   * @internal Queues an already-encoded packet (its parts in order: for roomcast's codec the
   * text part, then attachments). Every recipient of a broadcast is handed the same `encoded`
   * array, so the same Engine.IO messages are queued for all of them and their WebSocket frame
   * is built once. `opts.observed` (set per broadcast when some connection listens to
   * `packetCreate`) makes this connection check for its own listeners.
   */
  writeToEngine(encoded: EncodedParts, opts: WriteOptions): void {
    // Compares with `true` rather than truthiness tests: per recipient, each is one pointer
    // compare instead of about a dozen instructions (see rooms/targets.ts).
    if (this.closed === true) return;
    // roomcast's adapters always set `observed` (asked once per broadcast); socket.io's do not,
    // so their writes are counted and asked here, per recipient (compat/socket-io-adapter.ts).
    const observed = opts.observed ?? foreignWrite(this.host.metrics);
    // [SIO5:volatile] dropped, not queued, when the connection is backed up.
    if (opts.volatile === true && !this.conn.writable) {
      this.host.metrics?.droppedVolatile();
      return;
    }
    const messages = engineMessagesOf(encoded, opts);
    // The unobserved loop is the per-recipient hot path: kept free of the observed case, which
    // goes through its own method (see BufferedSession.sendShared for why).
    if (observed === true) {
      this.writeObserved(messages);
      return;
    }
    // A text packet is one message: no loop.
    if (messages.length === 1) {
      this.conn.sendShared(messages[0] as SharedMessage);
      return;
    }
    for (let i = 0; i < messages.length; i++) this.conn.sendShared(messages[i] as SharedMessage);
  }

  /** The recipient of an observed broadcast: its session's `packetCreate` listeners see each message. */
  private writeObserved(messages: readonly SharedMessage[]): void {
    for (let i = 0; i < messages.length; i++) this.conn.sendSharedObserved(messages[i] as SharedMessage);
  }

  /** @internal [SIO5:disconnect] Disconnects every namespace (a DISCONNECT each), then closes the connection. */
  disconnectAll(): void {
    for (const socket of this.sockets.slice()) socket.disconnect();
    this.close();
  }

  /** @internal Forgets a socket that left its namespace. */
  remove(socket: { readonly id: SocketId; readonly nsp: { readonly name: string } }): void {
    for (let i = 0; i < this.sockets.length; i++) {
      if (this.sockets[i] === socket) {
        this.sockets.splice(i, 1);
        if (!this.closed) this.rememberLeft(socket.nsp.name);
        return;
      }
    }
  }

  private rememberLeft(name: string): void {
    const left = (this.left ??= []);
    const known = left.indexOf(name);
    if (known !== -1) left.splice(known, 1);
    else if (left.length === MAX_LEFT) left.shift();
    left.push(name);
  }

  /** Closes the underlying connection; sockets get "forced server close". */
  close(): void {
    if (this.closed) return;
    this.onClose("forced server close");
    this.conn.close();
  }

  /** @internal A message of the Engine.IO session. */
  onEngineMessage(data: string | Buffer): void {
    // [SIO5:after-disconnect] Closed by the server, the connection takes no more packets.
    if (this.closed) return;
    if (this.customDecoder !== null) {
      this.addToCustomDecoder(data);
      return;
    }
    let packet: Packet | null;
    try {
      packet = this.decoderFor(data).add(data);
    } catch (err) {
      this.onParseError(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (packet) this.onPacket(packet);
  }

  /**
   * Which decoder takes `data`: this client's own while it collects a binary packet's
   * attachments (a text message then is an error it reports), and for a binary packet's text
   * part or an attachment; the shared one for any other text message, which leaves no state.
   */
  private decoderFor(data: string | Buffer): Decoder {
    const own = this.decoder;
    if (own !== null && own.awaitingAttachments) return own;
    if (typeof data === "string" && !startsBinaryPacket(data)) return TEXT_DECODER;
    return own ?? (this.decoder = new Decoder({ maxAttachments: this.host.maxAttachments }));
  }

  /** [SIO5:parse-error] A custom decoder's throw is a parse error, as with roomcast's own. */
  private addToCustomDecoder(data: string | Buffer): void {
    try {
      this.customDecoder?.add(data);
    } catch (err) {
      this.onParseError(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** A packet from a custom decoder: validated like roomcast's own decoder validates. */
  private onCustomDecoded(decoded: unknown): void {
    if (this.closed) return;
    let packet: Packet;
    try {
      packet = validateDecodedPacket(decoded);
    } catch (err) {
      this.onParseError(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.onPacket(packet);
  }

  private onPacket(packet: Packet): void {
    if (packet.type === PacketType.CONNECT) {
      this.connect(packet.nsp, packet.data as Record<string, unknown> | undefined);
      return;
    }
    const socket = this.socketIn(packet.nsp);
    if (socket !== undefined) {
      socket.onPacket(packet);
      return;
    }
    // [SIO5:multiplexing] A packet for a namespace this client has left (it crossed the leave on
    // the wire: a late ack, an event sent before a server-side disconnect arrived) is dropped.
    if (this.left?.includes(packet.nsp) === true) return;
    // [SIO5:unexpected-packet] One for a namespace never joined (or still being joined) means
    // the client is out of step: the connection is closed, as socket.io does.
    this.violation(`a packet of type ${packet.type} for namespace "${packet.nsp}", which this client has not joined`);
  }

  /**
   * @param auth - the CONNECT payload; undefined when the client sent none (the usual `40`): the
   *   socket then builds its `handshake.auth`, `{}`, only if it is read.
   */
  private connect(name: string, auth: Record<string, unknown> | undefined): void {
    // [SIO5:unexpected-packet] A second CONNECT for a namespace joined (or being joined) closes
    // the connection, as socket.io does: the client is out of step.
    if (this.socketIn(name) !== undefined || this.connecting?.has(name) === true) {
      this.violation(`a CONNECT for namespace "${name}", which this client has already joined`);
      return;
    }
    if (this.left !== null) {
      const index = this.left.indexOf(name);
      if (index !== -1) this.left.splice(index, 1);
    }
    let pending = true;
    const admitted = (socket: AnySocket | undefined): void => {
      pending = false;
      this.doneConnecting(name);
      if (!socket) return;
      if (this.sockets.length === 0) this.sockets = [socket];
      else this.sockets.push(socket);
      this.stopConnectDeadline();
    };
    // The usual case, a namespace that exists, skips the lookup's callback and answer record.
    const known = this.host.namespaceNamed(name);
    if (known !== undefined) known.add(this, auth, admitted);
    else {
      // A dynamic namespace's matcher gets an object, as it always did.
      const payload = auth ?? {};
      this.host.resolveNamespace(name, payload, (result) => {
        if (this.closed) return;
        if ("refusal" in result) {
          pending = false;
          this.doneConnecting(name);
          this.host.metrics?.countConnectError(result.code);
          // [SIO5:invalid-namespace]
          this.writePacket({ type: PacketType.CONNECT_ERROR, nsp: name, data: { message: result.refusal } }, {});
          return;
        }
        result.nsp.add(this, payload, admitted);
      });
    }
    // Only a CONNECT still in progress (an asynchronous middleware or namespace matcher) needs
    // marking; the common, synchronous one never allocates the set.
    if (pending && !this.closed) (this.connecting ??= new Set()).add(name);
  }

  private socketIn(name: string): AnySocket | undefined {
    const sockets = this.sockets;
    for (let i = 0; i < sockets.length; i++) if ((sockets[i] as AnySocket).nsp.name === name) return sockets[i];
    return undefined;
  }

  private doneConnecting(name: string): void {
    if (this.connecting === null) return;
    this.connecting.delete(name);
    if (this.connecting.size === 0) this.connecting = null;
  }

  /** @internal The Engine.IO session closed. */
  onEngineClose(reason: DisconnectReason, description?: unknown): void {
    this.host.metrics?.connectionClosed(description);
    this.onClose(reason, description);
  }

  /**
   * [SIO5:unexpected-packet] A well-formed packet out of place closes the whole connection:
   * sockets get `"forced close"` (socket.io's reason for it), with a ProtocolError
   * `UNEXPECTED_PACKET` as description; what was queued is still delivered, then the close.
   */
  private violation(message: string): void {
    if (this.closed) return;
    this.onClose("forced close", new ProtocolError("UNEXPECTED_PACKET", message));
    this.conn.close();
  }

  /** [SIO5:parse-error] a malformed packet closes the whole connection. */
  private onParseError(err: Error): void {
    for (const socket of this.sockets.slice()) socket.onError(err);
    if (this.closed) return;
    this.onClose("parse error", err);
    this.conn.close();
  }

  private onClose(reason: DisconnectReason, description?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.stopConnectDeadline();
    const sockets = this.sockets;
    this.sockets = NO_SOCKETS;
    for (const socket of sockets) socket.onClose(reason, description);
    this.decoder?.reset();
    this.customDecoder?.destroy?.();
  }
}
