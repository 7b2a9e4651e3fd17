import { describe, expect, it } from "vitest";
import { ENGINE_DEFAULTS, ENGINE_ERROR_MESSAGES, EngineServer, errorBody, resolveEngineOptions } from "../../src/transport/index.ts";
import type { EngineOptions } from "../../src/transport/index.ts";

describe("resolveEngineOptions", () => {
  it("fills in every default", () => {
    expect(resolveEngineOptions()).toEqual({
      path: "/engine.io",
      pingInterval: 25000,
      pingTimeout: 20000,
      maxHttpBufferSize: 1e6,
      transports: ["polling", "websocket"],
      allowUpgrades: true,
      upgradeTimeout: 10000,
      maxBufferedBytes: 4 * 1024 * 1024,
      cors: false,
      allowRequest: null,
      cookie: false,
      httpCompression: true,
      perMessageDeflate: false,
      addTrailingSlash: true,
      destroyUpgrade: true,
      destroyUpgradeTimeout: 1000,
      writeDelay: 0,
    });
  });

  it("keeps given values and treats undefined as the default", () => {
    const opts = resolveEngineOptions({ pingInterval: 1000, pingTimeout: undefined, path: "/socket.io/" });
    expect(opts.pingInterval).toBe(1000);
    expect(opts.pingTimeout).toBe(20000);
    expect(opts.path).toBe("/socket.io/");
  });

  it("copies the transports array so later mutation of the input has no effect", () => {
    const transports: EngineOptions["transports"] = ["websocket"];
    const opts = resolveEngineOptions({ transports });
    transports.push("polling");
    expect(opts.transports).toEqual(["websocket"]);
    expect(ENGINE_DEFAULTS.transports).toEqual(["polling", "websocket"]);
  });

  it("accepts writeDelay from 0 (off) to 1000 ms, fractions included", () => {
    for (const writeDelay of [0, 0.5, 1, 25, 1000]) {
      expect(resolveEngineOptions({ writeDelay }).writeDelay).toBe(writeDelay);
    }
  });

  it.each<[string, Partial<EngineOptions>]>([
    ["NaN pingInterval", { pingInterval: Number.NaN }],
    ["negative pingInterval", { pingInterval: -1 }],
    ["zero pingTimeout", { pingTimeout: 0 }],
    ["fractional pingTimeout", { pingTimeout: 1.5 }],
    ["pingInterval above the timer limit", { pingInterval: 2 ** 31 }],
    ["Infinity upgradeTimeout", { upgradeTimeout: Number.POSITIVE_INFINITY }],
    ["zero maxHttpBufferSize", { maxHttpBufferSize: 0 }],
    ["NaN maxHttpBufferSize", { maxHttpBufferSize: Number.NaN }],
    ["empty transports", { transports: [] }],
    ["path without leading slash", { path: "engine.io" }],
    ["zero maxBufferedBytes", { maxBufferedBytes: 0 }],
    ["fractional maxBufferedBytes", { maxBufferedBytes: 1.5 }],
    ["a CORS maxAge below zero", { cors: { maxAge: -1 } }],
    ["a cookie name with a space", { cookie: { name: "a b" } }],
    ["a negative compression threshold", { httpCompression: { threshold: -1 } }],
    ["zero destroyUpgradeTimeout", { destroyUpgradeTimeout: 0 }],
    ["negative writeDelay", { writeDelay: -1 }],
    ["NaN writeDelay", { writeDelay: Number.NaN }],
    ["Infinity writeDelay", { writeDelay: Number.POSITIVE_INFINITY }],
    ["writeDelay above 1000 ms", { writeDelay: 1000.5 }],
  ])("throws TypeError on %s", (_name, partial) => {
    expect(() => resolveEngineOptions(partial)).toThrow(TypeError);
    expect(() => new EngineServer(partial)).toThrow(TypeError);
  });

  it("throws TypeError on values of the wrong type (from untyped callers)", () => {
    const bad: unknown[] = [
      { pingInterval: "25000" },
      { allowUpgrades: "yes" },
      { transports: ["carrier-pigeon"] },
      { perMessageDeflate: "yes" },
      { maxHttpBufferSize: "1e6" },
      { allowRequest: "yes" },
      { cors: "*" },
      { cookie: "io" },
      { httpCompression: 1024 },
      { destroyUpgrade: "no" },
      { writeDelay: "1" },
    ];
    for (const partial of bad) {
      expect(() => resolveEngineOptions(partial as Partial<EngineOptions>)).toThrow(TypeError);
    }
  });
});

describe("errors", () => {
  it("has the six Engine.IO messages", () => {
    expect(ENGINE_ERROR_MESSAGES).toEqual({
      0: "Transport unknown",
      1: "Session ID unknown",
      2: "Bad handshake method",
      3: "Bad request",
      4: "Forbidden",
      5: "Unsupported protocol version",
    });
  });

  it("builds the body with code before message", () => {
    expect(errorBody(5)).toBe('{"code":5,"message":"Unsupported protocol version"}');
  });
});
