/**
 * The trace switch (src/trace.ts): frame formatting, and tracing a live server's sessions.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket from "ws";
import { io as ioc } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { Server } from "../../src/index.ts";
import { FrameFormatter, isTraceEnabled, traceEngine } from "../../src/trace.ts";
import { pollingSupported } from "./fixtures.ts";
import type { EnginePacket } from "../../src/transport/transport.ts";

const polling = await pollingSupported();

/** The message packet a WebSocket text frame like `42["x"]` carries (its data has no `4`). */
function frame(text: string): EnginePacket {
  if (!text.startsWith("4")) throw new Error(`not a message frame: ${text}`);
  return { type: "message", data: text.slice(1) };
}

describe("isTraceEnabled", () => {
  it("is on for ROOMCAST_TRACE=1 or true, off otherwise", () => {
    expect(isTraceEnabled({ ROOMCAST_TRACE: "1" })).toBe(true);
    expect(isTraceEnabled({ ROOMCAST_TRACE: "true" })).toBe(true);
    expect(isTraceEnabled({ ROOMCAST_TRACE: "0" })).toBe(false);
    expect(isTraceEnabled({})).toBe(false);
  });
});

describe("FrameFormatter", () => {
  it("[EIO4:packet-types] writes each Engine.IO packet in transcript notation with its meaning", () => {
    const f = new FrameFormatter("server");
    expect(f.format({ type: "ping" })).toBe("server: 2  # EIO PING");
    expect(f.format({ type: "pong", data: "probe" })).toBe("server: 3probe  # EIO PONG probe (upgrade check answered)");
    expect(f.format({ type: "noop" })).toBe("server: 6  # EIO NOOP");
    expect(f.format({ type: "close" })).toBe("server: 1  # EIO CLOSE (end of session)");
    expect(f.format({ type: "message", data: "hello" })).toBe("server: 4hello  # EIO MESSAGE text (5 chars)");
    expect(f.format({ type: "message", data: Buffer.from([1, 2, 255]) })).toBe("server-binary: 01 02 ff  # EIO MESSAGE binary (3 bytes)");
  });

  it("clips long text and long binary", () => {
    const f = new FrameFormatter("client");
    expect(f.format({ type: "message", data: "x".repeat(250) })).toBe(`client: 4${"x".repeat(200)}…(+50)  # EIO MESSAGE text (250 chars)`);
    const bytes = Buffer.alloc(40, 0xab);
    expect(f.format({ type: "message", data: bytes })).toBe(`client-binary: ${Array(32).fill("ab").join(" ")} …(+8 bytes)  # EIO MESSAGE binary (40 bytes)`);
  });

  it("[SIO5:packet-format] decodes Socket.IO packets inside messages", () => {
    const f = new FrameFormatter("client", { maxAttachments: 10 });
    const meaning = (text: string): string => f.format(frame(text)).split("  # ")[1] ?? "";
    expect(meaning("40")).toBe("SIO CONNECT / (no auth)");
    expect(meaning('40/admin,{"token":"x"}')).toBe("SIO CONNECT /admin with auth keys [token]");
    expect(meaning('42["hi",1,2]')).toBe('SIO EVENT / "hi" (2 args)');
    expect(meaning('42/chat,7["say","x"]')).toBe('SIO EVENT /chat id=7 "say" (1 arg, ack requested)');
    expect(meaning("437[]")).toBe("SIO ACK / id=7 (no args)");
    expect(meaning("41/chat,")).toBe("SIO DISCONNECT /chat");
    expect(new FrameFormatter("server").format(frame("40"))).toBe("server: 40  # EIO MESSAGE text (1 char)");
  });

  it("[SIO5:connect] says which side a CONNECT comes from", () => {
    const f = new FrameFormatter("server", { maxAttachments: 10 });
    expect(f.format(frame('40{"sid":"abc"}'))).toBe('server: 40{"sid":"abc"}  # SIO CONNECT / accepted, socket id abc');
    expect(f.format(frame('44/x,{"message":"Invalid namespace"}'))).toBe(
      'server: 44/x,{"message":"Invalid namespace"}  # SIO CONNECT_ERROR /x refused: "Invalid namespace"',
    );
  });

  it("[SIO5:binary-attachments] follows a binary packet through its attachments", () => {
    const f = new FrameFormatter("client", { maxAttachments: 10 });
    expect(f.format(frame('452-/up,3["files",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'))).toBe(
      'client: 452-/up,3["files",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]  # SIO BINARY_EVENT /up id=3 "files" (2 args, ack requested), 2 attachments to follow',
    );
    expect(f.format({ type: "message", data: Buffer.from([1]) })).toBe("client-binary: 01  # SIO attachment 1/2 (1 byte)");
    expect(f.format({ type: "message", data: Buffer.from([2, 3]) })).toBe(
      'client-binary: 02 03  # SIO attachment 2/2 (2 bytes), packet complete: SIO BINARY_EVENT /up id=3 "files" (2 args, ack requested)',
    );
  });

  it("[SIO5:parse-error] shows the decoder's reason for a refused packet, with the server's limit", () => {
    const f = new FrameFormatter("client", { maxAttachments: 2 });
    expect(f.format(frame("42{}"))).toBe("client: 42{}  # SIO refused (INVALID_PAYLOAD): EVENT payload must be a non-empty array");
    expect(f.format(frame('453-["x"]'))).toBe('client: 453-["x"]  # SIO refused (TOO_MANY_ATTACHMENTS): too many attachments');
    expect(f.format({ type: "message", data: Buffer.from([9]) })).toBe(
      "client-binary: 09  # SIO refused (UNEXPECTED_BINARY): binary message received with no binary packet pending",
    );
  });
});

describe("traceEngine", () => {
  const closers: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  /** A Socket.IO server echoing `echo` events, traced into `lines`; `until` awaits a line. */
  async function tracedServer(): Promise<{ io: Server; port: number; lines: string[]; until(pred: (l: string) => boolean): Promise<string>; stop(): void }> {
    const httpServer = http.createServer();
    const io = new Server(httpServer, {});
    io.on("connection", (socket) => socket.on("echo", (...args: unknown[]) => socket.emit("echo", ...args)));
    const lines: string[] = [];
    const waiters: Array<{ pred: (l: string) => boolean; resolve: (l: string) => void }> = [];
    const stop = traceEngine(io.engine, {
      socketIo: { maxAttachments: 10 },
      write: (line) => {
        lines.push(line);
        for (const w of waiters.filter((x) => x.pred(line))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      },
    });
    await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
    closers.push(() => io.close());
    const until = (pred: (l: string) => boolean): Promise<string> => {
      const seen = lines.find(pred);
      return seen !== undefined ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ pred, resolve }));
    };
    return { io, port: (httpServer.address() as AddressInfo).port, lines, until, stop };
  }

  function openWs(port: number): { ws: WebSocket; frames: Promise<string>[] } {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    ws.on("error", () => {});
    closers.push(() => ws.terminate());
    const frames: Promise<string>[] = [];
    const resolvers: Array<(s: string) => void> = [];
    for (let i = 0; i < 8; i++) frames.push(new Promise((resolve) => resolvers.push(resolve)));
    let n = 0;
    ws.on("message", (data) => resolvers[n++]?.(String(data)));
    return { ws, frames };
  }

  it("[EIO4:handshake] prints the open packet exactly as the client received it, then every frame both ways", async () => {
    const { port, lines, until } = await tracedServer();
    const { ws, frames } = openWs(port);
    const open = await frames[0]!;
    const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
    const prefix = `[trace ${sid}]`;
    expect(lines[0]).toBe(`${prefix} server: ${open}  # EIO OPEN (handshake), rebuilt: it left before tracing could attach`);

    ws.send("40");
    const connected = await frames[1]!;
    const socketId = (JSON.parse(connected.slice(2)) as { sid: string }).sid;
    ws.send('42["echo","hi"]');
    expect(await frames[2]).toBe('42["echo","hi"]');
    await until((l) => l.startsWith(`${prefix} server: 42["echo"`));
    expect(lines).toEqual([
      lines[0],
      `${prefix} client: 40  # SIO CONNECT / (no auth)`,
      `${prefix} server: ${connected}  # SIO CONNECT / accepted, socket id ${socketId}`,
      `${prefix} client: 42["echo","hi"]  # SIO EVENT / "echo" (1 arg)`,
      `${prefix} server: 42["echo","hi"]  # SIO EVENT / "echo" (1 arg)`,
    ]);
  });

  it("[SIO5:broadcast] prints a broadcast once per recipient, binary attachment included", async () => {
    const { io, port, until } = await tracedServer();
    const sids: string[] = [];
    for (const { ws, frames } of [openWs(port), openWs(port)]) {
      sids.push((JSON.parse((await frames[0]!).slice(1)) as { sid: string }).sid);
      ws.send("40");
      await frames[1];
    }
    io.emit("news", "all", Buffer.from([7]));
    for (const sid of sids) {
      await until((l) => l === `[trace ${sid}] server: 451-["news","all",{"_placeholder":true,"num":0}]  # SIO BINARY_EVENT / "news" (2 args), 1 attachment to follow`);
      await until((l) => l === `[trace ${sid}] server-binary: 07  # SIO attachment 1/1 (1 byte), packet complete: SIO BINARY_EVENT / "news" (2 args)`);
    }
  });

  it("[SIO5:parse-error] prints why a packet was refused and how the session ended", async () => {
    const { port, until } = await tracedServer();
    const { ws, frames } = openWs(port);
    const sid = (JSON.parse((await frames[0]!).slice(1)) as { sid: string }).sid;
    ws.send("42{}");
    expect(await until((l) => l.includes("client: 42{}"))).toBe(
      `[trace ${sid}] client: 42{}  # SIO refused (INVALID_PAYLOAD): EVENT payload must be a non-empty array`,
    );
    await until((l) => l === `[trace ${sid}] closed: forced close`);
  });

  it("[EIO4:http-errors] prints refused requests with the answer they got", async () => {
    const { port, until } = await tracedServer();
    const status = await new Promise<number>((resolve, reject) => {
      http.get({ host: "127.0.0.1", port, path: "/socket.io/?EIO=4&transport=carrier-pigeon", agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on("error", reject);
    });
    expect(status).toBe(400);
    expect(await until((l) => l.startsWith("[trace] refused"))).toBe(
      '[trace] refused GET /socket.io/?EIO=4&transport=carrier-pigeon: 400 {"code":0,"message":"Transport unknown"}',
    );
  });

  it.skipIf(!polling)("[EIO4:handshake] rebuilds a polling session's open packet exactly too", async () => {
    const { port, lines } = await tracedServer();
    const body = await new Promise<string>((resolve, reject) => {
      http.get({ host: "127.0.0.1", port, path: "/socket.io/?EIO=4&transport=polling", agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      }).on("error", reject);
    });
    const sid = (JSON.parse(body.slice(1)) as { sid: string }).sid;
    expect(lines[0]).toBe(`[trace ${sid}] server: ${body}  # EIO OPEN (handshake), rebuilt: it left before tracing could attach`);
  });

  it.skipIf(!polling)("[EIO4:upgrade] reports the two moments of an upgrade, then keeps tracing on the websocket", async () => {
    const { port, until } = await tracedServer();
    const client = ioc(`http://127.0.0.1:${port}`, { reconnection: false, forceNew: true });
    closers.push(() => {
      client.disconnect();
    });
    const sid = await new Promise<string>((resolve) => client.io.on("open", () => resolve(client.io.engine.id)));
    await until((l) => l === `[trace ${sid}] upgrading: a new websocket answered the probe (2probe → 3probe)`);
    await until((l) => l === `[trace ${sid}] upgraded: the client sent 5, the session now runs on websocket`);
    client.emit("echo", "over ws");
    await until((l) => l === `[trace ${sid}] client: 42["echo","over ws"]  # SIO EVENT / "echo" (1 arg)`);
  });

  it("stops tracing new sessions once stopped", async () => {
    const { port, lines, stop } = await tracedServer();
    stop();
    const { frames } = openWs(port);
    await frames[0];
    expect(lines).toEqual([]);
  });
});
