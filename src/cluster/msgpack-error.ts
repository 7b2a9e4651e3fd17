/**
 * The limits and the error shared by the MessagePack encoder and decoder.
 */

/** Deepest nesting of arrays and maps either direction accepts (a cycle ends here, too). */
export const MAX_DEPTH = 512;

/** Why a value could not be encoded or a buffer could not be decoded. */
export class MsgpackError extends Error {
  /** @param message - what went wrong. */
  constructor(message: string) {
    super(message);
    this.name = "MsgpackError";
  }
}
