/**
 * DEBUG logging: `roomcast:*` namespaces in the debug convention, socket.io users' patterns
 * (`DEBUG=engine,socket.io*`) mapped onto them, and nothing hooked when it is off.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { roomcastPatterns } from "../../src/observe/debug.ts";
import { cleanup, connectPair, startServer } from "../support/harness.ts";

afterEach(cleanup);

const CHILD = fileURLToPath(new URL("../support/debug-child.ts", import.meta.url));

/** Runs the child with `DEBUG`; resolves with its stderr once it printed "done" and exited. */
function runChild(debug: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD], {
      env: { ...process.env, DEBUG: debug, DEBUG_COLORS: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 && out.includes("done") ? resolve(err) : reject(new Error(`child exited ${String(code)}: ${err}`))));
  });
}

describe("DEBUG", () => {
  it("prints roomcast:* namespaces", async () => {
    const err = await runChild("roomcast:*");
    expect(err).toMatch(/roomcast:server attached on \/socket\.io/);
    expect(err).toMatch(/roomcast:namespace namespace \/orders created/);
    expect(err).toMatch(/roomcast:engine session \S+ opened over websocket/);
    expect(err).toMatch(/roomcast:socket socket \S+ connected to \//);
    expect(err).toMatch(/roomcast:socket socket \S+ left \/: (client namespace disconnect|transport close|server shutting down)/);
  });

  it("honours socket.io users' DEBUG=engine,socket.io*", async () => {
    const err = await runChild("engine,socket.io*");
    expect(err).toMatch(/roomcast:engine session/);
    expect(err).toMatch(/roomcast:socket socket/);
  });

  it("prints nothing for other namespaces", async () => {
    expect(await runChild("someone-else:*")).not.toMatch(/roomcast/);
  });

  it("maps socket.io patterns onto roomcast's", () => {
    expect(roomcastPatterns(undefined)).toBe("");
    expect(roomcastPatterns("engine")).toBe("roomcast:engine");
    expect(roomcastPatterns("engine:*,-engine:ws")).toBe("roomcast:engine");
    expect(roomcastPatterns("socket.io:socket socket.io:namespace")).toBe("roomcast:socket,roomcast:namespace");
    expect(roomcastPatterns("socket.io*").split(",").sort()).toEqual(
      ["roomcast:engine", "roomcast:namespace", "roomcast:server", "roomcast:socket"],
    );
    expect(roomcastPatterns("express:*")).toBe("");
  });

  it("adds no listener when off", async () => {
    const { io, url } = await startServer();
    const { server } = await connectPair(io, url());
    expect(io.engine.listenerCount("connection")).toBe(1); // the server's own
    expect(io.engine.listenerCount("connection_error")).toBe(0);
    expect(server.listenerCount("disconnect")).toBe(0);
    expect(io.of("/").listenerCount("new_namespace")).toBe(0);
  });
});
