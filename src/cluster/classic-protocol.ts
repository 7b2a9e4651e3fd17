/**
 * The wire protocol of `@socket.io/redis-adapter`'s `createAdapter` (v8) and of
 * `@socket.io/redis-emitter` (v5), as facts: channel names, request types, message layouts.
 *
 * [REDIS:channels] With key K (default "socket.io") and namespace N:
 *   - broadcasts go to `K#N#`, or to `K#N#room#` when they target exactly one room;
 *   - requests go to `K-request#N#`;
 *   - responses go to `K-response#N#`, or to `K-response#N#uid#` (the requester's own channel)
 *     when the responder has `publishOnSpecificResponseChannel`.
 * [REDIS:broadcast] A broadcast is msgpack `[uid, packet, { rooms, except, flags }]`, packet
 *   being the Socket.IO packet `{ type: 2, data: [event, ...args], nsp }` (the emitter's uid is
 *   "emitter").
 * [REDIS:request] Requests and responses are JSON objects `{ uid, requestId?, type, ... }`, or
 *   msgpack when they may carry binary (a receiver tells them apart by a leading "{");
 *   broadcasts with acknowledgement (type 7) and their answers (type 9) are always msgpack.
 */

/** Request types of the classic protocol. */
export enum RequestType {
  /** `{ uid, requestId, type, rooms }` → `{ requestId, sockets: SocketId[] }`. */
  SOCKETS = 0,
  /** `{ uid, requestId, type }` → `{ requestId, rooms: Room[] }`. */
  ALL_ROOMS = 1,
  /** `{ uid, type, opts: { rooms, except }, rooms }`; no answer. */
  REMOTE_JOIN = 2,
  /** Same shape as REMOTE_JOIN. */
  REMOTE_LEAVE = 3,
  /** `{ uid, type, opts: { rooms, except }, close }`; no answer. */
  REMOTE_DISCONNECT = 4,
  /** `{ uid, requestId, type, opts }` → `{ requestId, sockets: [{ id, handshake, rooms, data }] }`. */
  REMOTE_FETCH = 5,
  /** `{ uid, type, data, requestId? }` → with a requestId, `{ type: 6, requestId, data }` per server. */
  SERVER_SIDE_EMIT = 6,
  /** msgpack `{ uid, requestId, type, packet, opts: { rooms, except, flags } }`. */
  BROADCAST = 7,
  /** `{ type: 8, requestId, clientCount }`: how many clients a server sent the broadcast to. */
  BROADCAST_CLIENT_COUNT = 8,
  /** msgpack `{ type: 9, requestId, packet }`: one client's acknowledgement. */
  BROADCAST_ACK = 9,
}

/** The channel names of one namespace under one key. */
export class ClassicChannels {
  /** `K#N#`: broadcasts to everyone or to several rooms. */
  readonly broadcast: string;
  /** `K#N#*`: every broadcast channel of the namespace (the reference adapter's subscription). */
  readonly pattern: string;
  /** `K-request#N#`. */
  readonly request: string;
  /** `K-response#N#`. */
  readonly response: string;
  /** `K-response#N#uid#`: responses for this server only. */
  readonly ownResponse: string;

  /**
   * @param key - the channel prefix.
   * @param nsp - the namespace name.
   * @param uid - this server's adapter id.
   */
  constructor(key: string, nsp: string, uid: string) {
    this.broadcast = `${key}#${nsp}#`;
    this.pattern = `${this.broadcast}*`;
    this.request = `${key}-request#${nsp}#`;
    this.response = `${key}-response#${nsp}#`;
    this.ownResponse = `${this.response}${uid}#`;
  }

  /** `K#N#room#`: broadcasts to exactly that room. */
  room(room: string): string {
    return `${this.broadcast}${room}#`;
  }

  /** The room a broadcast channel names ("" for the namespace-wide channel). */
  roomOf(channel: string): string {
    return channel.slice(this.broadcast.length, -1);
  }

  /** Where to answer a requester: its own channel, or the shared response channel. */
  responseTo(uid: unknown, specific: boolean): string {
    return specific && typeof uid === "string" && uid.length > 0 ? `${this.response}${uid}#` : this.response;
  }
}
