/**
 * The browser client under the server's path (`serveClient`, default true): `socket.io.js`,
 * `socket.io.min.js`, `socket.io.esm.min.js`, `socket.io.msgpack.min.js` and their source maps,
 * read from the installed `socket.io-client` package (an optional peer dependency), as socket.io
 * serves them: `ETag` with the client's version (304 on a match), `Cache-Control: public,
 * max-age=0`, br / gzip / deflate by `Accept-Encoding`. Each file is read and each encoding
 * computed once per process, asynchronously, then served from memory.
 */
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { brotliCompress, deflate, gzip } from "node:zlib";

/** The files served, as socket.io lists them. */
export const CLIENT_FILES: readonly string[] = Object.freeze([
  "socket.io.js",
  "socket.io.js.map",
  "socket.io.min.js",
  "socket.io.min.js.map",
  "socket.io.esm.min.js",
  "socket.io.esm.min.js.map",
  "socket.io.msgpack.min.js",
  "socket.io.msgpack.min.js.map",
]);

type Coding = "br" | "gzip" | "deflate" | "identity";

const COMPRESSORS: Readonly<Record<Exclude<Coding, "identity">, (input: Buffer) => Promise<Buffer>>> = {
  br: promisify(brotliCompress),
  gzip: promisify(gzip),
  deflate: promisify(deflate),
};

/**
 * The coding to answer with: the acceptable coding the client ranks highest (q, then its own
 * order), among br, gzip and deflate; identity when none is acceptable.
 *
 * @param header - the request's `Accept-Encoding`.
 */
export function negotiateCoding(header: string | undefined): Coding {
  if (header === undefined) return "identity";
  let best: Coding = "identity";
  let bestQ = 0;
  for (const part of header.split(",")) {
    const [rawName = "", ...params] = part.split(";");
    const name = rawName.trim().toLowerCase();
    let q = 1;
    for (const param of params) {
      const [key = "", value = ""] = param.split("=");
      if (key.trim().toLowerCase() === "q") q = Number(value.trim());
    }
    if (!(q > 0) || q <= bestQ) continue;
    const coding: Coding | null = name === "br" || name === "gzip" || name === "deflate" ? name : name === "*" ? "gzip" : null;
    if (coding === null) continue;
    best = coding;
    bestQ = q;
  }
  return best;
}

/** Whether `If-None-Match` names `etag` (strong or weak), or is `*`. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  for (const raw of header.split(",")) {
    const tag = raw.trim();
    if (tag === "*" || tag === etag || tag === `W/${etag}`) return true;
  }
  return false;
}

/** The client files of one installed `socket.io-client`. */
export class ClientBundle {
  /** `"<version>"`, quoted as RFC 9110 wants. */
  readonly etag: string;
  private readonly cache = new Map<string, Promise<Buffer>>();

  /**
   * @param dir - the package's `dist/` directory.
   * @param version - the package's version (the ETag).
   * @param files - the files of {@link CLIENT_FILES} found in `dir`.
   */
  constructor(
    private readonly dir: string,
    readonly version: string,
    private readonly files: ReadonlySet<string>,
  ) {
    this.etag = `"${version}"`;
  }

  /**
   * Finds the installed client package.
   *
   * @param specifier - the package name (default `socket.io-client`).
   * @returns the bundle, or null when the package cannot be found.
   */
  static load(specifier = "socket.io-client"): ClientBundle | null {
    try {
      const require = createRequire(import.meta.url);
      const manifest = require.resolve(`${specifier}/package.json`);
      const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version?: unknown };
      const dir = join(dirname(manifest), "dist");
      const files = new Set<string>();
      // An older client without one of these builds: that one is not served.
      for (const file of CLIENT_FILES) if (existsSync(join(dir, file))) files.add(file);
      if (files.size === 0) return null;
      return new ClientBundle(dir, typeof version === "string" ? version : "0", files);
    } catch {
      return null;
    }
  }

  /**
   * Answers a GET or HEAD of a client file under `base` (the server's path).
   *
   * @returns false when the request is not for a client file (the engine answers it).
   */
  serve(req: IncomingMessage, res: ServerResponse, base: string): boolean {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const pathname = q === -1 ? url : url.slice(0, q);
    const prefix = base.endsWith("/") ? base : `${base}/`;
    if (!pathname.startsWith(prefix)) return false;
    const file = pathname.slice(prefix.length);
    if (!this.files.has(file)) return false;
    // Merged with the Vary that CORS may have set.
    const vary = res.getHeader("Vary");
    const headers: OutgoingHttpHeaders = {
      "Cache-Control": "public, max-age=0",
      ETag: this.etag,
      Vary: vary === undefined ? "Accept-Encoding" : `${String(vary)}, Accept-Encoding`,
    };
    if (matchesEtag(req.headers["if-none-match"], this.etag)) {
      res.writeHead(304, headers).end();
      return true;
    }
    const coding = negotiateCoding(req.headers["accept-encoding"]);
    this.content(file, coding).then(
      (body) => {
        headers["Content-Type"] = `application/${file.endsWith(".map") ? "json" : "javascript"}; charset=utf-8`;
        headers["Content-Length"] = body.length;
        if (coding !== "identity") headers["Content-Encoding"] = coding;
        if (res.destroyed) return;
        res.writeHead(200, headers);
        res.end(req.method === "HEAD" ? undefined : body);
      },
      () => {
        if (!res.headersSent) res.writeHead(500, { "Content-Length": 0 });
        res.end();
      },
    );
    return true;
  }

  /** The file's bytes in `coding`, computed once. */
  private content(file: string, coding: Coding): Promise<Buffer> {
    const key = `${coding}:${file}`;
    let body = this.cache.get(key);
    if (body === undefined) {
      body = coding === "identity" ? readFile(join(this.dir, file)) : this.content(file, "identity").then(COMPRESSORS[coding]);
      // A failed read is retried on the next request rather than cached.
      body.catch(() => this.cache.delete(key));
      this.cache.set(key, body);
    }
    return body;
  }
}

let shared: ClientBundle | null | undefined;
let warned = false;

/**
 * The installed client bundle, shared by every server of the process; null (after ONE warning
 * per process, `ROOMCAST_NO_CLIENT_BUNDLE`) when `socket.io-client` is not installed.
 *
 * @param specifier - the package name; for tests.
 */
export function sharedClientBundle(specifier = "socket.io-client"): ClientBundle | null {
  const bundle = specifier === "socket.io-client" ? (shared ??= ClientBundle.load()) : ClientBundle.load(specifier);
  if (bundle === null && !warned) {
    warned = true;
    process.emitWarning(
      `serveClient is on, but the "${specifier}" package is not installed: /socket.io/socket.io.js is not served. ` +
        `Install it (npm install socket.io-client) or pass serveClient: false.`,
      { code: "ROOMCAST_NO_CLIENT_BUNDLE" },
    );
  }
  return bundle;
}
