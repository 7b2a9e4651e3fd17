/**
 * Compression of polling responses (`httpCompression`): gzip or deflate via node:zlib when the
 * client accepts it and the payload is at least `threshold` bytes.
 *
 * Below the threshold compression costs more CPU than it saves bytes (a few hundred bytes of
 * headers go out anyway), hence the 1024-byte default.
 */
import { deflate, gzip } from "node:zlib";

/** Settings of `httpCompression` when it is an object. */
export interface HttpCompressionOptions {
  /** Smallest payload (bytes) worth compressing. Default 1024. */
  threshold?: number;
}

/** A content coding this server produces. */
export type ContentCoding = "gzip" | "deflate";

/**
 * Validates the `httpCompression` option.
 *
 * @param option - `true` (default threshold), `false` (off), or {@link HttpCompressionOptions}.
 * @returns the threshold in bytes, or null when compression is off.
 * @throws TypeError on a negative or non-integer threshold.
 */
export function compressionThreshold(option: boolean | HttpCompressionOptions): number | null {
  if (option === false) return null;
  if (option === true) return 1024;
  if (typeof option !== "object" || option === null) {
    throw new TypeError("EngineOptions.httpCompression must be a boolean or an options object");
  }
  const threshold = option.threshold ?? 1024;
  if (!Number.isSafeInteger(threshold) || threshold < 0) {
    throw new TypeError(`httpCompression.threshold must be a non-negative integer (bytes), got ${String(threshold)}`);
  }
  return threshold;
}

/**
 * Picks the coding for a request from its `Accept-Encoding` header: gzip first, then deflate;
 * a coding with `q=0` is refused, `*` stands for gzip.
 *
 * @param header - the request's `Accept-Encoding` header.
 * @returns the coding to use, or null to send the payload as is.
 */
export function pickCoding(header: string | undefined): ContentCoding | null {
  if (header === undefined || header === "") return null;
  let gzipOk = false;
  let deflateOk = false;
  let anyOk = false;
  for (const part of header.split(",")) {
    const [rawName = "", ...params] = part.split(";");
    const name = rawName.trim().toLowerCase();
    let refused = false;
    for (const param of params) {
      const [key = "", value = ""] = param.split("=");
      if (key.trim().toLowerCase() === "q" && Number(value.trim()) === 0) refused = true;
    }
    if (refused) continue;
    if (name === "gzip") gzipOk = true;
    else if (name === "deflate") deflateOk = true;
    else if (name === "*") anyOk = true;
  }
  if (gzipOk || anyOk) return "gzip";
  return deflateOk ? "deflate" : null;
}

/**
 * Compresses a payload (asynchronously, on the libuv thread pool, so a big payload does not
 * block the event loop).
 *
 * @param body - the payload.
 * @param coding - gzip or deflate.
 * @param done - called with the compressed bytes, or an error.
 */
export function compress(body: Buffer, coding: ContentCoding, done: (err: Error | null, out: Buffer) => void): void {
  if (coding === "gzip") gzip(body, done);
  else deflate(body, done);
}
