/**
 * The server side of the load test's contract, ready to use with roomcast or socket.io:
 *
 * - `join(room, ack?)`: join `room` (a string of at most 128 characters), then call the ack.
 * - `chat message(text)`: send `text`, unchanged, as `chat message` to every other member of
 *   each room the sender is in.
 *
 * README.md ("Load testing") shows the same few lines; the chat demo (`npm start`) already
 * behaves this way (its `chat message` wraps the text in `{ from, text, room }`, which the load
 * test reads as well).
 */

/** The little of a Socket (roomcast's or socket.io's) the relay uses. */
export interface RelaySocket {
  readonly id: string;
  readonly rooms: Set<string>;
  join(room: string): unknown;
  on(event: string, listener: (...args: any[]) => void): unknown;
  to(room: string): { emit(event: string, ...args: any[]): unknown };
}

const MAX_ROOM = 128;

/**
 * Handles the load test's `join` and `chat message` on one socket.
 *
 * @example
 * io.on("connection", (socket) => relayForLoadTest(socket));
 */
export function relayForLoadTest(socket: RelaySocket): void {
  socket.on("join", (room: unknown, ack?: unknown) => {
    if (typeof room !== "string" || room.length === 0 || room.length > MAX_ROOM) return;
    void socket.join(room);
    if (typeof ack === "function") ack({ ok: true });
  });
  socket.on("chat message", (text: unknown) => {
    if (typeof text !== "string") return;
    for (const room of socket.rooms) if (room !== socket.id) socket.to(room).emit("chat message", text);
  });
}
