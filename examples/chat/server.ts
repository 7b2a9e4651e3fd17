/**
 * The chat server: the static page plus roomcast, with rooms, notices and a live room list.
 * `createChatServer()` does not listen, so tests can start it on port 0 (see main.ts for `npm start`).
 */
import { createServer, type Server as HttpServer } from "node:http";
import { Server, type ServerOptions, type Socket } from "../../src/index.ts";
import type { ChatSocketData, ClientToServerEvents, ErrorReply, JoinReply, ServerToClientEvents } from "./events.ts";
import { RoomDirectory, roomKey, ROOM_LIST_INTERVAL_MS } from "./room-directory.ts";
import { serveStatic } from "./static.ts";
import { serveStats } from "./stats.ts";
import { checkName, checkText, LIMITS } from "./validate.ts";

/** The chat's typed Socket.IO server. */
export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, ChatSocketData>;
type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, ChatSocketData>;

/** What {@link createChatServer} returns; neither is listening yet. */
export interface ChatServerHandle {
  /** Serves the page and carries the Socket.IO traffic. */
  httpServer: HttpServer;
  /** The roomcast server attached to it. */
  io: ChatServer;
}

/** Splits an event's arguments into data and the trailing acknowledgement, if the client asked for one. */
function splitAck(args: unknown[]): { data: unknown[]; ack: ((reply: unknown) => void) | undefined } {
  const last = args[args.length - 1];
  if (typeof last !== "function") return { data: args, ack: undefined };
  return { data: args.slice(0, -1), ack: (reply) => last(reply) };
}

function refuse(ack: ((reply: unknown) => void) | undefined, error: string): void {
  const reply: ErrorReply = { error };
  ack?.(reply);
}

function memberNicks(io: ChatServer, room: string): { count: number; members: string[] } {
  const nsp = io.of("/");
  const ids = nsp.adapter.rooms.get(roomKey(room)) ?? new Set<string>();
  const members: string[] = [];
  for (const id of ids) {
    const nick = nsp.sockets.get(id)?.data.nick;
    if (nick !== undefined) members.push(nick);
  }
  members.sort();
  return { count: ids.size, members: members.slice(0, LIMITS.membersListed) };
}

function onJoin(io: ChatServer, socket: ChatSocket, args: unknown[]): void {
  const { data, ack } = splitAck(args);
  const room = checkName(data[0], LIMITS.room, "room name");
  if (!room.ok) return refuse(ack, room.error);
  if (data[1] !== undefined) {
    const nick = checkName(data[1], LIMITS.nick, "nickname");
    if (!nick.ok) return refuse(ack, nick.error);
    socket.data.nick = nick.value;
  }
  const nick = (socket.data.nick ??= `guest-${socket.id.slice(0, 4)}`);

  const previous = socket.data.room;
  if (previous !== room.value) {
    if (previous !== undefined) {
      void socket.leave(roomKey(previous));
      socket.to(roomKey(previous)).emit("notice", { room: previous, nick, kind: "leave" });
    }
    void socket.join(roomKey(room.value));
    socket.data.room = room.value;
    socket.to(roomKey(room.value)).emit("notice", { room: room.value, nick, kind: "join" });
  }
  const reply: JoinReply = { room: room.value, nick, ...memberNicks(io, room.value) };
  ack?.(reply);
}

function onChatMessage(socket: ChatSocket, args: unknown[]): void {
  const { data, ack } = splitAck(args);
  const { room, nick } = socket.data;
  if (room === undefined || nick === undefined) return refuse(ack, "join a room first");
  const text = checkText(data[0]);
  if (!text.ok) return refuse(ack, text.error);
  // The sender is excluded: its page has already shown the message.
  socket.to(roomKey(room)).emit("chat message", { from: nick, text: text.value, room });
  ack?.({ ok: true });
}

/** Options of the demo itself. */
export interface ChatOptions {
  /** How often the `/stats` page gets a sample, in ms. Default 1000. */
  statsInterval?: number;
  /**
   * The shortest time between two room-list updates (`rooms changed`, sent to everyone), in ms.
   * Default 1000 ({@link ROOM_LIST_INTERVAL_MS}); 0 sends one per turn of the event loop.
   */
  roomListInterval?: number;
}

/**
 * Builds the chat: an http.Server serving the page, and a roomcast server on it, with its
 * metrics on (`/metrics` for Prometheus, `/health` for probes, the `/stats` page's feed).
 *
 * @param opts - roomcast options (tests pass e.g. `pingInterval`); defaults suit the demo.
 * @param chat - the demo's own options.
 * @example
 * const { httpServer } = createChatServer();
 * httpServer.listen(3000);
 */
export function createChatServer(opts: Partial<ServerOptions> = {}, chat: ChatOptions = {}): ChatServerHandle {
  const httpServer = createServer((req, res) => void serveStatic(req, res));
  const io: ChatServer = new Server(httpServer, { metrics: { path: "/metrics" }, health: { path: "/health" }, ...opts });
  const directory = new RoomDirectory(io.of("/").adapter, (event, rooms) => io.emit(event, rooms), chat.roomListInterval ?? ROOM_LIST_INTERVAL_MS);
  const stopStats = serveStats(io, chat.statsInterval);
  httpServer.once("close", () => {
    directory.dispose();
    stopStats();
  });

  io.on("connection", (socket) => {
    // The whole list once; from then on the directory sends everyone the changes.
    socket.emit("rooms", directory.list());
    socket.on("join", (...args: unknown[]) => onJoin(io, socket, args));
    socket.on("chat message", (...args: unknown[]) => onChatMessage(socket, args));
    socket.on("disconnect", () => {
      const { room, nick } = socket.data;
      if (room !== undefined && nick !== undefined) io.to(roomKey(room)).emit("notice", { room, nick, kind: "leave" });
    });
  });
  return { httpServer, io };
}
