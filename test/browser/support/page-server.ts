/**
 * Tiny HTTP servers for browser tests: a blank page that loads the official socket.io-client
 * bundle, served from a chosen origin, optionally with roomcast attached to the same server.
 */
import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const BUNDLE = require.resolve("socket.io-client/dist/socket.io.js");

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>roomcast client test</title></head>
<body><script src="/socket.io.js"></script></body></html>`;

/** Answers `/` with the test page and `/socket.io.js` with the client bundle; 404 otherwise. */
export async function servePage(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
  if (pathname === "/") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE);
  } else if (pathname === "/socket.io.js") {
    res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" }).end(await readFile(BUNDLE));
  } else {
    res.writeHead(404).end();
  }
}

/** An HTTP server listening on 127.0.0.1 and its origin (`http://127.0.0.1:PORT`). */
export interface Listening {
  server: http.Server;
  origin: string;
  /** Closes the server and drops its connections (idempotent). */
  close(): Promise<void>;
}

/** Listens on 127.0.0.1, port 0. */
export async function listenLocal(server: http.Server): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A page server of its own (an origin with no roomcast behind it). */
export function startPageServer(): Promise<Listening> {
  return listenLocal(http.createServer((req, res) => void servePage(req, res)));
}
