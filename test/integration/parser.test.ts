/**
 * The `parser` option (socket.io's `{ Encoder, Decoder }` interface): socket.io-msgpack-parser on
 * both ends, broadcasts included and encoded once each; `io.encoder`; bad input through a custom
 * decoder.
 */
import { afterEach, describe, expect, it } from "vitest";
import msgpackParser from "socket.io-msgpack-parser";
import { WebSocket } from "ws";
import { Encoder } from "../../src/protocol/parser.ts";
import { cleanup, connect, connectPair, startServer, waitFor, type ServerOpts } from "../support/harness.ts";

/** The msgpack bytes of a packet, as socket.io-msgpack-parser's client would send them. */
function msgpackEncode(packet: object): Buffer {
  const [bytes] = new msgpackParser.Encoder().encode(packet) as unknown as [Buffer];
  return bytes;
}

afterEach(cleanup);

/** socket.io-msgpack-parser, with its Encoder counting the packets it encodes. */
function countingMsgpack(): { parser: NonNullable<ServerOpts["parser"]>; encoded: () => number } {
  let count = 0;
  class CountingEncoder extends msgpackParser.Encoder {
    override encode(packet: unknown): ArrayBuffer {
      count++;
      return super.encode(packet);
    }
  }
  return { parser: { Encoder: CountingEncoder, Decoder: msgpackParser.Decoder }, encoded: () => count };
}

describe("parser option", () => {
  it("talks to a socket.io-msgpack-parser client: events, acks, binary, both ways", async () => {
    const { parser } = countingMsgpack();
    const { io, url } = await startServer({ parser });
    io.on("connection", (socket) => {
      socket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
    });
    const { client, server } = await connectPair(io, url(), { parser: msgpackParser });
    expect(await client.emitWithAck("echo", { n: 1, bytes: Buffer.from([1, 2, 3]) })).toEqual({
      n: 1,
      bytes: Buffer.from([1, 2, 3]),
    });
    const got = waitFor(client, "hello");
    server.emit("hello", "world", 42);
    expect(await got).toEqual(["world", 42]);
    client.on("question", (n: number, ack: (v: number) => void) => ack(n + 1));
    expect(await server.timeout(5000).emitWithAck("question", 1)).toBe(2);
  });

  it("encodes a broadcast once, whatever the number of recipients (msgpack on both ends)", async () => {
    const { parser, encoded } = countingMsgpack();
    const { io, url } = await startServer({ parser });
    io.on("connection", (socket) => socket.join("room"));
    const a = await connectPair(io, url(), { parser: msgpackParser });
    const b = await connectPair(io, url(), { parser: msgpackParser });
    const c = await connectPair(io, url(), { parser: msgpackParser });
    const received = Promise.all([a, b, c].map(({ client }) => waitFor(client, "news")));
    const before = encoded();
    io.to("room").emit("news", "extra", Buffer.from("bin"));
    expect(encoded() - before).toBe(1);
    for (const args of await received) expect(args).toEqual(["extra", Buffer.from("bin")]);

    const acked = io.timeout(5000).emitWithAck("poll");
    for (const { client } of [a, b, c]) client.once("poll", (ack: (v: string) => void) => ack(client.id ?? ""));
    const beforeAck = encoded();
    const answers = await acked;
    expect(encoded() - beforeAck).toBe(0); // encoded when emitted, once
    expect(answers.sort()).toEqual([a, b, c].map(({ client }) => client.id).sort());
  });

  it("exposes the encoder as io.encoder; the default is roomcast's codec", async () => {
    const { io } = await startServer();
    expect(io.encoder).toBeInstanceOf(Encoder);
    expect(io.encoder.encode({ type: 2, nsp: "/", data: ["a", 1] })).toEqual(['2["a",1]']);
    const custom = await startServer({ parser: msgpackParser });
    expect(custom.io.encoder).toBeInstanceOf(msgpackParser.Encoder);
  });

  it("refuses a parser without Encoder and Decoder at construction", async () => {
    const { Server } = await import("../support/server.ts");
    expect(() => new Server({ parser: {} as never })).toThrow(/parser/);
    class NoEncode {}
    expect(() => new Server({ parser: { Encoder: NoEncode, Decoder: msgpackParser.Decoder } as never })).toThrow(/encode/);
  });

  it("[SIO5:parse-error] closes a connection whose custom decoder throws or yields an invalid packet", async () => {
    const { io, port } = await startServer({ parser: msgpackParser });
    const closes: string[] = [];
    io.engine.on("connection", (conn) => conn.on("close", (reason: string) => closes.push(reason)));
    for (const bad of [Buffer.from([0xc1]), msgpackEncode({ type: 0, nsp: "no-slash" }), msgpackEncode({ type: 2, nsp: "/", data: [1] })]) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
      await waitFor(ws, "message"); // the open packet
      const closed = waitFor(ws, "close");
      ws.send(bad);
      await closed;
    }
    // The Socket.IO layer closes the connection (as for roomcast's own codec).
    expect(closes).toEqual(["forced close", "forced close", "forced close"]);
  });

  it("keeps working with the default parser for the official client", async () => {
    const { io, url } = await startServer();
    io.on("connection", (socket) => socket.emit("hi", Buffer.from([9])));
    const client = connect(url());
    expect(await waitFor(client, "hi")).toEqual([Buffer.from([9])]);
  });
});
