/**
 * The reference client (engine.io-client, websocket only) against our server. engine.io-client
 * is installed as a dependency of socket.io-client.
 */
import { Socket as EioClient } from "engine.io-client";
import { afterEach, describe, expect, it } from "vitest";
import type { EngineSocket } from "../../src/transport/index.ts";
import { cleanup, closeReason, startServer } from "./helpers.ts";
import type { Fixture } from "./helpers.ts";

const clients: EioClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await cleanup();
});

function open(fx: Fixture): Promise<{ client: EioClient; socket: EngineSocket }> {
  const client = new EioClient(`ws://127.0.0.1:${fx.port}`, { transports: ["websocket"], path: "/engine.io/" });
  clients.push(client);
  return new Promise((resolve, reject) => {
    let socket: EngineSocket | undefined;
    let opened = false;
    const done = (): void => {
      if (socket !== undefined && opened) resolve({ client, socket });
    };
    fx.engine.once("connection", (s: EngineSocket) => {
      socket = s;
      done();
    });
    client.once("open", () => {
      opened = true;
      done();
    });
    client.once("error", reject);
  });
}

function nextClientMessage(client: EioClient): Promise<unknown> {
  return new Promise((resolve) => client.once("message", resolve));
}

describe("interop with engine.io-client (websocket)", () => {
  it("handshakes and learns the sid and timings", async () => {
    const fx = await startServer({ pingInterval: 1234, pingTimeout: 4321 });
    const { client, socket } = await open(fx);
    expect(client.id).toBe(socket.id);
    expect(client.transport.name).toBe("websocket");
  });

  it("exchanges text and binary messages both ways", async () => {
    const fx = await startServer();
    const { client, socket } = await open(fx);
    const serverGot = new Promise<string | Buffer>((resolve) => socket.once("message", resolve));
    client.send("from client");
    expect(await serverGot).toBe("from client");

    const text = nextClientMessage(client);
    socket.send("from server");
    expect(await text).toBe("from server");

    const binaryFromClient = new Promise<string | Buffer>((resolve) => socket.once("message", resolve));
    client.send(Buffer.from([1, 2, 3]));
    expect(await binaryFromClient).toEqual(Buffer.from([1, 2, 3]));

    const binary = nextClientMessage(client);
    socket.send(Buffer.from([9, 8, 7]));
    const data = await binary;
    expect(Buffer.from(data as Uint8Array)).toEqual(Buffer.from([9, 8, 7]));
  });

  it("[EIO4:heartbeat] keeps the session alive through the client's automatic pongs", async () => {
    const fx = await startServer({ pingInterval: 20, pingTimeout: 5000 });
    const { socket } = await open(fx);
    await new Promise<void>((resolve) => {
      let n = 0;
      socket.on("heartbeat", () => {
        if (++n === 3) resolve();
      });
    });
    expect(socket.readyState).toBe("open");
  });

  it("sees the client's close as 'transport close'", async () => {
    const fx = await startServer();
    const { client, socket } = await open(fx);
    const reason = closeReason(socket);
    client.close();
    expect(await reason).toBe("transport close");
  });

  it("reports a server close to the client", async () => {
    const fx = await startServer();
    const { client, socket } = await open(fx);
    const clientClosed = new Promise<string>((resolve) => client.once("close", (reason) => resolve(reason)));
    socket.close();
    expect(await clientClosed).toBe("transport close");
  });
});
