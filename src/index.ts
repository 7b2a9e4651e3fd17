/**
 * roomcast: a Socket.IO v5 / Engine.IO v4 server with socket.io's server API.
 *
 * @example
 * import { createServer } from "node:http";
 * import { Server } from "roomcast";
 *
 * const httpServer = createServer();
 * const io = new Server(httpServer);
 * io.on("connection", (socket) => socket.emit("hello", "world"));
 * httpServer.listen(3000);
 */
export { Server } from "./server.ts";
export type { ServerOptions, SocketIoOptions } from "./options.ts";
export { ServerMetrics } from "./observe/metrics.ts";
export type { ConnectErrorCode, MetricsSnapshot } from "./observe/metrics.ts";
export type { HealthOptions, MetricsOptions } from "./observe/observer.ts";
export type { ConnectionStateRecoveryOptions, RecoveryOptions } from "./recovery/options.ts";
export type { PendingRestore, RecoverableSocket, SessionRecovery, SessionState } from "./recovery/types.ts";
export type { MetricsRegistry } from "./observe/prom-client.ts";
export { Namespace } from "./namespaces/namespace.ts";
export type { ExtendedError, NamespaceMiddleware, NamespaceReservedEvents } from "./namespaces/namespace.ts";
export { ParentNamespace } from "./namespaces/parent-namespace.ts";
export type { NamespaceMatcher } from "./namespaces/parent-namespace.ts";
export { Socket } from "./namespaces/socket.ts";
export type { DisconnectReason, SocketMiddleware, SocketReservedEvents } from "./namespaces/socket.ts";
export { Adapter } from "./rooms/adapter.ts";
export type { AdapterConstructor } from "./rooms/adapter-constructor.ts";
export { BroadcastOperator } from "./rooms/broadcast-operator.ts";
export { RemoteSocket } from "./rooms/remote-socket.ts";
export * from "./cluster/index.ts";
export type {
  AckCallback,
  AdapterNamespace,
  AdapterSocket,
  BroadcastFlags,
  BroadcastOptions,
  Handshake,
  Room,
  SocketId,
} from "./rooms/types.ts";
export { EngineServer } from "./transport/engine-server.ts";
export { EngineSocket } from "./transport/engine-socket.ts";
export type { AllowRequest, EngineOptions, PerMessageDeflateOptions, TransportName } from "./transport/options.ts";
export type { ConnectionError, EngineHeaders } from "./transport/server-types.ts";
export type { CloseReason } from "./transport/session-types.ts";
export type { CorsOptions } from "./transport/cors.ts";
export type { CookieOptions } from "./transport/cookie.ts";
export type { HttpCompressionOptions } from "./transport/http-compression.ts";
export { TransportFailure } from "./transport/errors.ts";
export type { TransportFailureCode } from "./transport/errors.ts";
export { PacketType } from "./protocol/packet.ts";
export type { EncodedPacket, Packet } from "./protocol/packet.ts";
export type { DefaultEventsMap, EventsMap, EventNames, EventParams } from "./typed-events.ts";
