/**
 * The load test refuses what it cannot do safely, and ends with a clear error and a non-zero
 * exit code when the target cannot be reached: never a hang, never a stack trace.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createChatServer } from "../../examples/chat/server.ts";
import { runCli } from "./run-cli.ts";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("npm run loadtest refuses and fails clearly", () => {
  it("refuses a non-http(s) URL with exit code 2 and a usage hint, before connecting", async () => {
    const run = await runCli(["--url", "ws://127.0.0.1:3000"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^loadtest: --url must be http:\/\/ or https:\/\/ .*\n\(npm run loadtest -- --help for usage\)/);
    expect(run.stdout).toBe("");
  }, 20_000);

  it("refuses more clients than ulimit -n allows, before opening any", async () => {
    const run = await runCli(["--url", "http://127.0.0.1:9", "--clients", "1000"], "ulimit -n 256 &&");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/1000 websocket clients need about 1064 file descriptors, but ulimit -n is 256/);
  }, 20_000);

  it("ends with a clear error and exit code 1 when nothing listens", async () => {
    const port = await closedPort();
    const run = await runCli(["--url", `http://127.0.0.1:${port}`, "--clients", "50", "--json"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`cannot connect to http://127.0.0.1:${port}: refused: .*ECONNREFUSED`));
    expect(run.report?.outcome).toBe("unreachable");
    // Only the probe client was tried: a dead target costs one connection attempt, not 50.
    expect(run.report?.connect.attempted).toBe(1);
  }, 20_000);

  it("ends with the server's reason when the join is refused (the chat demo caps room names)", async () => {
    const { httpServer, io } = createChatServer();
    closers.push(() => io.close());
    await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
    const run = await runCli(["--url", url, "--room-prefix", "a-room-name-longer-than-the-demo-allows-", "--clients", "5"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot connect to .*: join refused: room name is longer than 32 characters/);
  }, 20_000);

  it("ends with an HTTP error when the path is not a Socket.IO server's", async () => {
    const server = createServer((_req, res) => res.writeHead(404).end());
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const run = await runCli(["--url", url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot connect to .*: http error: Unexpected server response: 404/);
  }, 20_000);
});
