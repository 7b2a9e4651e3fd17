/**
 * The chat's static files: a fixed table of paths (nothing from the URL reaches the file
 * system), including the official socket.io-client browser bundle from node_modules.
 */
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

interface StaticFile {
  path: string;
  type: string;
}

function publicFile(name: string, type: string): StaticFile {
  return { path: fileURLToPath(new URL(`./public/${name}`, import.meta.url)), type };
}

// socket.io-client exports only dist/socket.io.js (and its map) to require.resolve, not the .min file.
const bundle = require.resolve("socket.io-client/dist/socket.io.js");

const FILES: ReadonlyMap<string, StaticFile> = new Map([
  ["/", publicFile("index.html", "text/html; charset=utf-8")],
  ["/index.html", publicFile("index.html", "text/html; charset=utf-8")],
  ["/chat.css", publicFile("chat.css", "text/css; charset=utf-8")],
  ["/chat.js", publicFile("chat.js", "text/javascript; charset=utf-8")],
  ["/stats", publicFile("stats.html", "text/html; charset=utf-8")],
  ["/stats.js", publicFile("stats.js", "text/javascript; charset=utf-8")],
  ["/socket.io.js", { path: bundle, type: "text/javascript; charset=utf-8" }],
  ["/socket.io.js.map", { path: `${bundle}.map`, type: "application/json" }],
]);

/** Serves the chat page, its assets and the client bundle; 404 for anything else. */
export async function serveStatic(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD" }).end();
    return;
  }
  const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
  const file = FILES.get(pathname);
  if (file === undefined) {
    res.writeHead(pathname === "/favicon.ico" ? 204 : 404, { "content-type": "text/plain" }).end();
    return;
  }
  try {
    const body = await readFile(file.path);
    res.writeHead(200, {
      "content-type": file.type,
      "content-length": body.length,
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  } catch {
    res.writeHead(500, { "content-type": "text/plain" }).end("cannot read file");
  }
}
