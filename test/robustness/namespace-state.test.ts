/**
 * Item 3 of issue #9: packets out of step with the session's namespaces. socket.io 4.8 (checked
 * side by side, raw frames over WebSocket and polling) closes the connection for an EVENT, ACK
 * or DISCONNECT in a namespace the client never joined and for a second CONNECT to a namespace
 * already joined; the server-side sockets get "forced close", a pending GET gets the close
 * packet `1`, and the next request 400 "Session ID unknown". roomcast matches, with a
 * ProtocolError UNEXPECTED_PACKET as the disconnect description. [SIO5:unexpected-packet]
 */
import { afterEach, describe, expect, it } from "vitest";
import { ProtocolError } from "../../src/protocol/errors.ts";
import { cleanup, connectRecorded, serverSocket, startServer, waitFor } from "../support/harness.ts";
import { RawClient } from "../support/raw.ts";
import { PollingClient, packets, requestTaken } from "../polling/helpers.ts";

afterEach(cleanup);

/** Joins "/" over a raw WebSocket; returns the raw client and its server socket's disconnect. */
async function joined(port: number, io: Awaited<ReturnType<typeof startServer>>["io"]) {
  const { raw } = await RawClient.open(port);
  const sid = await raw.connectNsp("/");
  const disconnect = waitFor(serverSocket(io.of("/"), sid), "disconnect");
  return { raw, disconnect };
}

describe("Packets out of step [SIO5:unexpected-packet]", () => {
  const outOfStep: Array<[string, string]> = [
    ["an EVENT in a namespace never joined", '42/admin,["x"]'],
    ["an EVENT with an ack request in a namespace never joined", '42/admin,5["x"]'],
    ["an ACK in a namespace never joined", "43/admin,1[]"],
    ["a DISCONNECT for a namespace never joined", "41/admin,"],
    ["an EVENT in a namespace that does not exist", '42/nope,["x"]'],
    ["a second CONNECT for a namespace already joined", "40"],
  ];
  for (const [name, frame] of outOfStep) {
    it(`${name} closes the connection with "forced close"; other clients notice nothing`, async () => {
      const { io, port, url } = await startServer();
      io.of("/admin");
      const good = await connectRecorded(url());
      const { raw, disconnect } = await joined(port, io);
      raw.send(frame);
      await raw.closed;
      const [reason, description] = await disconnect;
      expect(reason).toBe("forced close");
      expect(description).toBeInstanceOf(ProtocolError);
      expect((description as ProtocolError).code).toBe("UNEXPECTED_PACKET");
      io.emit("after", 1);
      expect(await good.rec.until("after")).toEqual([]);
      expect(good.client.connected).toBe(true);
    });
  }

  it("a second CONNECT while the first one's middleware still runs closes the connection", async () => {
    const { io, port } = await startServer();
    let release: () => void = () => {};
    io.of("/slow").use((_socket, next) => {
      release = () => next();
    });
    const { raw } = await RawClient.open(port);
    raw.send("40/slow,");
    raw.send("40/slow,");
    await raw.closed;
    release();
    expect(io.of("/slow").sockets.size).toBe(0);
  });

  it("an EVENT in a namespace whose CONNECT is still being processed closes the connection", async () => {
    const { io, port } = await startServer();
    let release: () => void = () => {};
    io.of("/slow").use((_socket, next) => {
      release = () => next();
    });
    const { raw } = await RawClient.open(port);
    raw.send("40/slow,");
    raw.send('42/slow,["too early"]');
    await raw.closed;
    release();
    expect(io.of("/slow").sockets.size).toBe(0);
  });

  it("over polling, a pending GET is answered with the close packet at once, then the sid is unknown", async () => {
    const { io, port } = await startServer();
    const client = new PollingClient(port, "/socket.io/");
    await client.handshake();
    await client.post("40");
    expect((await client.get()).body).toMatch(/^40\{"sid":/);
    const taken = requestTaken(io.engine, (req) => req.method === "GET");
    const pending = client.get();
    await taken;
    await client.post("40");
    const answer = await pending;
    expect(answer.status).toBe(200);
    expect(packets(answer.body)).toEqual(["1"]);
    const after = await client.get();
    expect(after.status).toBe(400);
    expect(JSON.parse(after.body)).toEqual({ code: 1, message: "Session ID unknown" });
  });
});

describe("Packets that crossed a leave on the wire [SIO5:multiplexing]", () => {
  it("after a server-side disconnect, a late event and a late ack of that namespace are dropped", async () => {
    const { io, port } = await startServer();
    io.of("/admin").on("connection", (socket) => {
      socket.on("leave-me", () => socket.disconnect());
    });
    io.on("connection", (socket) => socket.on("echo", (v: unknown) => socket.emit("echo", v)));
    const { raw } = await RawClient.open(port);
    await raw.connectNsp("/");
    await raw.connectNsp("/admin");
    raw.send('42/admin,["leave-me"]');
    await raw.nextText("41/admin,");
    raw.send('42/admin,["sent before the DISCONNECT arrived"]');
    raw.send("43/admin,0[]");
    raw.send('42["echo","still here"]');
    expect(await raw.nextText('42["echo"')).toBe('42["echo","still here"]');
    expect(raw.isOpen).toBe(true);
  });

  it("after the client's own DISCONNECT, a late ack of that namespace is dropped; joining again works", async () => {
    const { io, port } = await startServer();
    io.of("/admin").on("connection", (socket) => socket.on("echo", (v: unknown) => socket.emit("echo", v)));
    const { raw } = await RawClient.open(port);
    await raw.connectNsp("/");
    await raw.connectNsp("/admin");
    raw.send("41/admin,");
    raw.send("43/admin,0[]");
    await raw.connectNsp("/admin");
    raw.send('42/admin,["echo","again"]');
    expect(await raw.nextText('42/admin,["echo"')).toBe('42/admin,["echo","again"]');
  });
});
