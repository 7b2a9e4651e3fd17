/**
 * The one error type the packet codec throws.
 *
 * Callers tell codec failures apart from their own bugs with `instanceof ProtocolError`, and
 * react to a decode failure by closing the connection with reason "parse error": a peer that
 * sends one malformed packet cannot be trusted to stay in sync afterwards.
 */

/**
 * Machine-readable reason for a {@link ProtocolError}. Stable strings, so tests and logs can
 * match on them without parsing messages.
 */
export type ProtocolErrorCode =
  /** Unknown or missing packet type digit, or a chunk that is neither string nor Buffer. */
  | "INVALID_TYPE"
  /** Payload is not valid JSON, or has the wrong shape for its packet type. */
  | "INVALID_PAYLOAD"
  /** Ack id malformed, too long, missing where required, or present where not allowed. */
  | "INVALID_ACK_ID"
  /** Namespace malformed or too long. */
  | "INVALID_NAMESPACE"
  /** Binary attachment count malformed (no digits, no "-", or zero). */
  | "INVALID_ATTACHMENTS"
  /** Binary attachment count above the decoder's limit. */
  | "TOO_MANY_ATTACHMENTS"
  /** A Buffer arrived while no binary packet was waiting for attachments. */
  | "UNEXPECTED_BINARY"
  /** A text packet arrived while a binary packet was still waiting for attachments. */
  | "UNEXPECTED_TEXT"
  /** A binary placeholder is malformed, out of range, reused, or an attachment is unused. */
  | "INVALID_PLACEHOLDER"
  /** An incoming event uses a name the server reserves for itself. */
  | "RESERVED_EVENT"
  /** A packet (text plus attachments) exceeds the decoder's size limit. */
  | "PACKET_TOO_LARGE"
  /**
   * A well-formed packet the session's state does not allow: an EVENT, ACK, DISCONNECT or
   * CONNECT_ERROR for a namespace the client never joined, or a CONNECT for a namespace it has
   * joined or is joining. Not thrown by the codec: the description of the disconnect it causes.
   */
  | "UNEXPECTED_PACKET";

/**
 * Thrown by the encoder and decoder on any malformed packet; also the description of a
 * disconnect caused by a packet out of place (`UNEXPECTED_PACKET`).
 */
export class ProtocolError extends Error {
  /** Why the packet was rejected. */
  readonly code: ProtocolErrorCode;

  /**
   * @param code - machine-readable reason.
   * @param message - human-readable detail (never includes the raw payload, which may be huge
   *   or sensitive).
   * @param options - standard `ErrorOptions`, e.g. `{ cause }` when wrapping a JSON error.
   */
  constructor(code: ProtocolErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProtocolError";
    this.code = code;
  }
}
