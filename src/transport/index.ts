/**
 * Engine.IO v4 server: sessions, transports, options and error codes.
 */
export { EngineServer } from "./engine-server.ts";
export type { AttachOptions, ConnectionError, EngineServerEvents } from "./engine-server.ts";
export { EngineSocket, generateSessionId } from "./engine-socket.ts";
export type { CloseReason, EngineSocketEvents, EngineSocketInit, EngineSocketState, SendOptions } from "./engine-socket.ts";
export { WebSocketTransport } from "./websocket.ts";
export type { EnginePacket, EnginePacketType, Transport, TransportEvents } from "./transport.ts";
export { ENGINE_DEFAULTS, resolveEngineOptions } from "./options.ts";
export type { EngineOptions, TransportName } from "./options.ts";
export { abortRequest, abortUpgrade, ENGINE_ERROR_MESSAGES, EngineErrorCode, errorBody, httpStatusFor } from "./errors.ts";
