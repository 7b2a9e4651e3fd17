/**
 * Shared plumbing of the two conformance servers: the port they listen on, starting an http
 * server on 127.0.0.1, and running a file as a program.
 */
import { once } from "node:events";
import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";

/** Where the public test suites expect the server. */
export const CONFORMANCE_HOST = "127.0.0.1";

/**
 * The port to listen on: `PORT` from the environment, else 3000 (what the suites expect).
 *
 * @throws Error on a `PORT` that is not an integer between 0 and 65535.
 */
export function conformancePort(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env["PORT"];
  if (raw === undefined || raw === "") return 3000;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be an integer between 0 and 65535, got ${raw}`);
  return port;
}

/**
 * Starts `server` on `host:port` and resolves with the port actually bound (port 0 → ephemeral).
 *
 * @param server - the http server.
 * @param port - the port.
 * @param host - the address, default 127.0.0.1.
 */
export async function listenOn(server: HttpServer, port: number, host = CONFORMANCE_HOST): Promise<number> {
  server.listen(port, host);
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

/**
 * True when the module whose `import.meta.url` is given is the program being run (`tsx file.ts`),
 * false when it is imported (by the tests).
 *
 * @param moduleUrl - the caller's `import.meta.url`.
 */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return moduleUrl === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

/** Closes `close` on SIGINT/SIGTERM so `npm run conformance:*` stops cleanly with Ctrl-C. */
export function closeOnSignals(close: () => Promise<void>): void {
  const stop = (): void => {
    void close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
