/**
 * Namespace and Socket with their event maps erased, for the parts of the server that handle
 * every namespace alike (client multiplexing, the registry).
 */
import type { EventsMap } from "../typed-events.ts";
import type { Namespace } from "./namespace.ts";
import type { Socket } from "./socket.ts";

/** A namespace of any event maps. */
export type AnyNamespace = Namespace<EventsMap, EventsMap, EventsMap, unknown>;
/** A socket of any event maps. */
export type AnySocket = Socket<EventsMap, EventsMap, EventsMap, unknown>;
