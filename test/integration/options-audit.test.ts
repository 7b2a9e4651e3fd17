/**
 * Every socket.io / engine.io option is implemented or refused at construction with a clear
 * error: never silently ignored (ARCHITECTURE.md). Includes engine.io's destroyUpgrade.
 */
import http from "node:http";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { ConnectionStateRecoveryOptions } from "../../src/index.ts";
import { EngineServer } from "../../src/transport/index.ts";
import { Server } from "../support/server.ts";
import { cleanup, closeHttp, listen, onCleanup } from "../support/harness.ts";

afterEach(cleanup);

describe("options that roomcast does not implement", () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ["wsEngine", { wsEngine: class {} }, /wsEngine is not supported/],
    ["allowEIO3: true", { allowEIO3: true }, /allowEIO3 is not supported.*Engine\.IO v4/],
    ["initialPacket", { initialPacket: "x" }, /initialPacket is not supported/],
    ["the webtransport transport", { transports: ["webtransport"] }, /webtransport transport is not supported/],
    ["cors as a function", { cors: (_req: unknown, cb: (e: null, o: object) => void) => cb(null, {}) }, /cors as a function/],
    ["cors.preflightContinue", { cors: { preflightContinue: true } }, /preflightContinue is not supported/],
    ["a misspelt option", { pingIntervall: 1000 }, /unknown option "pingIntervall"/],
  ])("refuses %s at construction, with or without an http server", (_name, opts, message) => {
    expect(() => new Server(opts as never)).toThrow(message);
    expect(() => new Server(http.createServer(), opts as never)).toThrow(message);
  });

  it("refuses them on a bare EngineServer and on attach() too", () => {
    expect(() => new EngineServer({ wsEngine: {} } as never)).toThrow(/wsEngine is not supported/);
    const io = new Server();
    expect(() => io.attach(http.createServer(), { allowEIO3: true } as never)).toThrow(/allowEIO3/);
  });

  it("accepts allowEIO3: false (what roomcast does anyway)", () => {
    expect(() => new Server({ allowEIO3: false } as never)).not.toThrow();
  });
});

describe("connectionStateRecovery", () => {
  it("is implemented: {} and false are accepted, with or without an http server", () => {
    const values: Array<ConnectionStateRecoveryOptions | false> = [{}, false, { maxDisconnectionDuration: 1000, skipMiddlewares: false, maxPackets: 10, maxSessions: 10 }];
    for (const value of values) {
      expect(() => new Server({ connectionStateRecovery: value })).not.toThrow();
      expect(() => new Server(http.createServer(), { connectionStateRecovery: value })).not.toThrow();
    }
  });

  it.each<[string, unknown, RegExp]>([
    ["true", true, /connectionStateRecovery must be an object/],
    ["a misspelt key", { maxDisconectionDuration: 5 }, /unknown option connectionStateRecovery\.maxDisconectionDuration/],
    ["a negative duration", { maxDisconnectionDuration: -1 }, /maxDisconnectionDuration must be a positive integer/],
    ["a non-boolean skipMiddlewares", { skipMiddlewares: "yes" }, /skipMiddlewares must be a boolean/],
    ["a zero maxSessions", { maxSessions: 0 }, /maxSessions must be a positive integer/],
  ])("refuses %s at construction", (_name, value, message) => {
    expect(() => new Server({ connectionStateRecovery: value } as never)).toThrow(message);
  });
});

describe("destroyUpgrade", () => {
  async function upgradeElsewhere(opts: Record<string, unknown>, otherListener?: (socket: net.Socket) => void): Promise<string> {
    const httpServer = http.createServer();
    const io = new Server(httpServer, opts as never);
    if (otherListener) httpServer.on("upgrade", (_req, socket: net.Socket) => otherListener(socket));
    const port = await listen(httpServer);
    onCleanup(async () => {
      await io.close();
      await closeHttp(httpServer);
    });
    const socket = net.connect(port, "127.0.0.1");
    socket.write("GET /elsewhere HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    let received = "";
    socket.on("data", (d: Buffer) => (received += d.toString()));
    await new Promise((resolve) => socket.once("close", resolve));
    return received;
  }

  it("ends an upgrade request that is not the engine's and that nobody answers", async () => {
    expect(await upgradeElsewhere({ destroyUpgradeTimeout: 20 })).toBe("");
  });

  it("leaves it to another upgrade listener that answers", async () => {
    const got = await upgradeElsewhere({ destroyUpgradeTimeout: 20 }, (socket) => {
      socket.end("HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n");
    });
    expect(got.startsWith("HTTP/1.1 418")).toBe(true);
  });
});
