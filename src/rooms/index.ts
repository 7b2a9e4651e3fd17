/**
 * Rooms: membership index, the in-memory adapter and the broadcast operator.
 */
export { RoomIndex } from "./room-index.ts";
export type { RoomIndexListener } from "./room-index.ts";
export { Adapter } from "./adapter.ts";
export type { ServerSideAck, SocketDetails } from "./adapter.ts";
export type { AdapterConstructor } from "./adapter-constructor.ts";
export { BroadcastOperator } from "./broadcast-operator.ts";
export { BroadcastAck, BroadcastTimeoutError } from "./broadcast-ack.ts";
export type { BroadcastAckCallback } from "./broadcast-ack.ts";
export { RemoteSocket, RemoteSocketOperator } from "./remote-socket.ts";
export { collectTargets, forEachTarget } from "./targets.ts";
export type { TargetVisitor } from "./targets.ts";
export type {
  AckCallback,
  AdapterClient,
  AdapterNamespace,
  AdapterSocket,
  BroadcastFlags,
  BroadcastOptions,
  Handshake,
  Room,
  SocketId,
  WriteOptions,
} from "./types.ts";
