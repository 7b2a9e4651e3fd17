/**
 * Engine.IO v4 server: sessions, transports (WebSocket and HTTP long-polling), options and error codes.
 */
export { EngineServer } from "./engine-server.ts";
export type { AttachOptions, ConnectionError, EngineHeaders, EngineServerEvents } from "./engine-server.ts";
export { EngineSocket } from "./engine-socket.ts";
export type { CloseReason, EngineSocketEvents, EngineSocketInit, EngineSocketState, SendOptions } from "./session-types.ts";
export { generateSessionId } from "./handshake.ts";
export { WebSocketTransport } from "./websocket.ts";
export { PollingTransport } from "./polling.ts";
export type { PollingSettings } from "./polling.ts";
export type { EnginePacket, EnginePacketType, Transport, TransportSink } from "./transport.ts";
export { ENGINE_DEFAULTS, resolveEngineOptions } from "./options.ts";
export type { AllowRequest, EngineOptions, TransportName } from "./options.ts";
export { CorsPolicy } from "./cors.ts";
export type { CorsOptions, CustomOrigin, StaticOrigin } from "./cors.ts";
export type { CookieOptions } from "./cookie.ts";
export type { HttpCompressionOptions } from "./http-compression.ts";
export {
  abortRequest,
  abortUpgrade,
  ENGINE_ERROR_MESSAGES,
  EngineErrorCode,
  errorBody,
  httpStatusFor,
  TransportFailure,
} from "./errors.ts";
export type { TransportFailureCode } from "./errors.ts";
