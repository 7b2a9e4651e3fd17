/**
 * The transcript format's reader, its placeholders, and the runner's verdicts — so that a spec
 * transcript passing means something: malformed blocks are refused, wrong expectations fail.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { EngineServer } from "../../src/index.ts";
import { FIXTURES, type FixtureServer } from "./fixtures.ts";
import { Placeholders } from "./placeholders.ts";
import { countTranscriptFences, parseTranscripts, TranscriptSyntaxError } from "./transcript-format.ts";
import { TranscriptMismatch, TranscriptRunner } from "./transcript-runner.ts";

const FENCE = "```";
const block = (info: string, ...lines: string[]): string => [`${FENCE}transcript ${info}`, ...lines, FENCE].join("\n");
const parseOne = (markdown: string) => {
  const all = parseTranscripts("spec/x.md", markdown);
  expect(all).toHaveLength(1);
  return all[0]!;
};

describe("parseTranscripts", () => {
  it("reads the info string, requests with bodies, statuses with bodies, frames and closes", () => {
    const t = parseOne(
      [
        "Some prose.",
        "",
        block(
          "[EIO4:upgrade] server=engine needs=polling",
          "# a comment",
          "client: GET /engine.io/?EIO=4&transport=polling",
          "server: 200",
          '        0{"sid":"<sid>"}',
          "client: POST /engine.io/?EIO=4&transport=polling&sid=<sid>",
          "        4a",
          "        bAQI=",
          "server: 200",
          "        ok",
          "client[ws]: WS /engine.io/?EIO=4&transport=websocket&sid=<sid>",
          "server[ws]: 101",
          "client-binary[ws]: 01 02",
          "server-binary[ws]: 0102",
          "server[ws]: close 1009",
        ),
      ].join("\n"),
    );
    expect(t).toMatchObject({ file: "spec/x.md", line: 3, tag: "[EIO4:upgrade]", fixture: "engine", needs: ["polling"] });
    expect(t.steps.map((s) => [s.line, s.channel, s.kind])).toEqual([
      [5, "", "http-request"],
      [6, "", "expect-status"],
      [8, "", "http-request"],
      [11, "", "expect-status"],
      [13, "ws", "ws-open"],
      [14, "ws", "expect-status"],
      [15, "ws", "send-binary"],
      [16, "ws", "expect-binary"],
      [17, "ws", "expect-close"],
    ]);
    expect(t.steps[2]).toMatchObject({ method: "POST", body: ["4a", "bAQI="] });
    expect(t.steps[1]).toMatchObject({ status: 200, body: ['0{"sid":"<sid>"}'] });
    expect(t.steps[7]).toMatchObject({ bytes: Buffer.from([1, 2]) });
    expect(t.steps[8]).toMatchObject({ code: 1009 });
  });

  it("ignores other fenced blocks, even ones that contain transcript-looking lines", () => {
    const md = ["```text", "```transcript [EIO4:message] server=engine", "```", block("[EIO4:message] server=engine", "client: WS /x", "server: 101")].join("\n");
    expect(parseTranscripts("spec/x.md", md)).toHaveLength(1);
  });

  it.each([
    ["a missing tag", block("server=echo", "client: WS /x", "server: 101"), "must start with a rule tag"],
    ["a missing fixture", block("[SIO5:ack]", "client: WS /x", "server: 101"), "server=<name>"],
    ["an unknown option", block("[SIO5:ack] server=echo speed=fast", "client: WS /x", "server: 101"), 'unknown info option "speed=fast"'],
    ["a frame before the 101", block("[SIO5:ack] server=echo", "client: WS /x", "client: 40"), "not an open WebSocket"],
    ["a frame with no connection", block("[SIO5:ack] server=echo", "client: 40"), "not an open WebSocket"],
    ["an unbound placeholder", block("[SIO5:ack] server=echo", "client: GET /x?sid=<sid>", "server: 200"), "<sid> is used before"],
    ["<any> in a client line", block("[SIO5:ack] server=echo", "client: WS /x", "server: 101", "client: 4<any>"), "<any> only makes sense"],
    ["an unread answer", block("[SIO5:ack] server=echo", "client: GET /x"), "never reads"],
    ["a stray indented line", block("[SIO5:ack] server=echo", "client: WS /x", "server: 101", "client: 40", "  4x"), "continues a request"],
    ["a body under a 101", block("[SIO5:ack] server=echo", "client: WS /x", "server: 101", "  4x"), "a 101 has no body"],
    ["bad hex", block("[SIO5:ack] server=echo", "client: WS /x", "server: 101", "client-binary: 0g"), "hex byte pairs"],
    ["a line after the close", block("[SIO5:ack] server=echo", "client: WS /x", "server: 101", "server: close", "server: 40"), "already closed"],
    ["garbage", block("[SIO5:ack] server=echo", "hello"), "not a transcript line"],
    ["an unclosed block", "```transcript [SIO5:ack] server=echo\nclient: WS /x", "never closed"],
  ])("refuses %s, naming the line", (_name, md, message) => {
    expect(() => parseTranscripts("spec/x.md", md)).toThrow(TranscriptSyntaxError);
    expect(() => parseTranscripts("spec/x.md", md)).toThrow(message);
    expect(() => parseTranscripts("spec/x.md", md)).toThrow(/^spec\/x\.md:\d+: /);
  });

  it("counts fences loosely, so a block the parser does not recognise is noticed", () => {
    const md = ["```transcript [SIO5:ack] server=echo", "client: WS /x", "server: 101", "```", "~~~ transcript", "~~~", "  ```Transcript", "  ```"].join("\n");
    expect(countTranscriptFences(md)).toBe(3);
    expect(parseTranscripts("spec/x.md", md)).toHaveLength(1);
  });
});

describe("Placeholders", () => {
  it("captures on first sight and reuses the value after", () => {
    const p = new Placeholders();
    expect(p.match('0{"sid":"<sid>","n":1}', '0{"sid":"abc-_1","n":1}')).toBe(true);
    expect(p.fill("/x?sid=<sid>")).toBe("/x?sid=abc-_1");
    expect(p.match('40{"sid":"<sid>"}', '40{"sid":"abc-_1"}')).toBe(true);
    expect(p.match('40{"sid":"<sid>"}', '40{"sid":"other"}')).toBe(false);
  });

  it("matches <any> against anything, including nothing, and compares the rest exactly", () => {
    const p = new Placeholders();
    expect(p.match("42[<any>]", '42["a",{"b":[1]}]')).toBe(true);
    expect(p.match("<any>", "")).toBe(true);
    expect(p.match('42["a"]', '42["a"] ')).toBe(false);
    expect(p.match("4.+", "4ab")).toBe(false); // regex characters are literal
  });

  it("does not bind anything when the match fails", () => {
    const p = new Placeholders();
    expect(p.match('0{"sid":"<sid>","n":1}', '0{"sid":"abc","n":2}')).toBe(false);
    expect(() => p.fill("<sid>")).toThrow("no value yet");
  });
});

describe("TranscriptRunner verdicts", () => {
  let server: FixtureServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function run(...lines: string[]): Promise<void> {
    const t = parseOne(block("[EIO4:message] server=engine", ...lines));
    server = await FIXTURES.engine();
    const runner = new TranscriptRunner(t, server, new AbortController().signal);
    await runner.run();
  }

  const OPEN = ["client: WS /engine.io/?EIO=4&transport=websocket", "server: 101", "server: 0<any>"];

  it("passes a transcript that matches", async () => {
    await run(...OPEN, "client: 4hi", "server: 4hi");
  });

  it("fails on a different frame, naming the spec line and what arrived", async () => {
    const err: unknown = await run(...OPEN, "client: 4hi", "server: 4ho").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TranscriptMismatch);
    expect(String(err)).toContain('spec/x.md:6 [EIO4:message]: expected "4ho", got text "4hi"');
  });

  it("fails when the server closes instead of answering", async () => {
    const err: unknown = await run(...OPEN, "client: 9bad", "server: 4anything").catch((e: unknown) => e);
    expect(String(err)).toMatch(/expected "4anything", got close \(code \d+\)/);
  });

  it("fails on a wrong status or body", async () => {
    const err: unknown = await run("client: GET /engine.io/?EIO=4&transport=carrier-pigeon", "server: 400", '        {"code":9}').catch((e: unknown) => e);
    expect(String(err)).toContain('spec/x.md:3 [EIO4:message]: body: expected "{\\"code\\":9}", got "{\\"code\\":0,\\"message\\":\\"Transport unknown\\"}"');
  });

  it("fails with the pending expectation when the test is aborted (its timeout)", async () => {
    // A server that aborts the run when it receives "4x": by then the runner has matched the open
    // packet and sent "4x", so the step it is on (or about to wait on) is the last one.
    const abort = new AbortController();
    const httpServer = http.createServer();
    const engine = new EngineServer().attach(httpServer);
    engine.on("connection", (socket) => socket.on("message", () => abort.abort()));
    await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
    server = {
      port: (httpServer.address() as AddressInfo).port,
      http: httpServer,
      close: async () => {
        engine.close();
        httpServer.closeAllConnections();
        await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      },
    };
    const t = parseOne(block("[EIO4:message] server=engine", ...OPEN, "client: 4x", "server: 4never sent"));
    const err: unknown = await new TranscriptRunner(t, server, abort.signal).run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TranscriptMismatch);
    expect(String(err)).toMatch(/spec\/x\.md:6 \[EIO4:message\]: (still|aborted while) waiting for "4never sent"/);
  });
});
