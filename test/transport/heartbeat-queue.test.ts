/**
 * [EIO4:heartbeat] The sessions of a server share two heartbeat queues (waiting for a ping,
 * waiting for a pong) and their two timers instead of timers each. These tests pin what the
 * sharing must not change: every session is pinged on its own schedule whatever the others do,
 * a pong moves its session to the back of the queue, one that stops answering is closed with
 * "ping timeout" while the others live on, whichever transport carries them (polling, an upgrade
 * to WebSocket, WebSocket), and servers in one process keep their own settings.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Socket as ServerSocket } from "../../src/index.ts";
import { cleanup, connect, onCleanup, serverSocket, startServer, whenConnected } from "../support/harness.ts";
import type { TestServer } from "../support/harness.ts";
import { RawClient } from "../support/raw.ts";

afterEach(cleanup);

/** Resolves once the session of `socket` has taken `count` pongs from now. */
function pongs(socket: ServerSocket, count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const onHeartbeat = (): void => {
      if (++seen < count) return;
      socket.conn.off("heartbeat", onHeartbeat);
      resolve();
    };
    socket.conn.on("heartbeat", onHeartbeat);
  });
}

/** Resolves with the reason the server gives for `socket`'s disconnection. */
function disconnectReason(socket: ServerSocket): Promise<string> {
  return new Promise((resolve) => socket.once("disconnect", (reason: string) => resolve(reason)));
}

/** A raw WebSocket client joined to "/", and its server-side socket. */
async function rawJoined(srv: TestServer, autoPong: boolean): Promise<{ raw: RawClient; socket: ServerSocket }> {
  const { raw } = await RawClient.open(srv.port, { autoPong });
  onCleanup(() => raw.terminate());
  const sid = await raw.connectNsp("/");
  return { raw, socket: serverSocket(srv.io.of("/"), sid) };
}

/** An official client joined to "/" on `transports`, and its server-side socket. */
async function official(srv: TestServer, transports: ("polling" | "websocket")[]): Promise<ServerSocket> {
  const client = connect(srv.url(), { transports });
  await whenConnected(client);
  return serverSocket(srv.io.of("/"), client.id);
}

describe("[EIO4:heartbeat] heartbeats on shared queues", () => {
  it("keeps the sessions that answer, and closes the silent ones and one that stops answering with 'ping timeout'", async () => {
    const srv = await startServer({ pingInterval: 30, pingTimeout: 60 });
    // Interleaved, so that the silent sessions' entries sit between the others' in both queues.
    const onWebSocket = await official(srv, ["websocket"]);
    const silent1 = await rawJoined(srv, false);
    const upgraded = await official(srv, ["polling", "websocket"]);
    const quitter = await rawJoined(srv, true);
    const onPolling = await official(srv, ["polling"]);
    const silent2 = await rawJoined(srv, false);
    const answering = [onWebSocket, upgraded, onPolling];
    const closes: string[] = [];
    for (const socket of answering) socket.on("disconnect", (reason: string) => closes.push(`${socket.id}: ${reason}`));
    const silentReasons = [disconnectReason(silent1.socket), disconnectReason(silent2.socket)];
    const quitterReason = disconnectReason(quitter.socket);

    // The quitter's pongs move it to the back of the ping queue twice before it falls silent.
    await pongs(quitter.socket, 2);
    quitter.raw.autoPong = false;

    expect(await Promise.all(silentReasons)).toEqual(["ping timeout", "ping timeout"]);
    expect(await quitterReason).toBe("ping timeout");
    // They were pinged, and did not answer.
    expect(silent1.raw.texts()).toContain("2");
    expect(silent2.raw.texts()).toContain("2");
    // Every other session takes two more pongs after the last close: it is still pinged on time.
    await Promise.all(answering.map((socket) => pongs(socket, 2)));
    expect(closes).toEqual([]);
    expect(answering.map((socket) => socket.connected)).toEqual([true, true, true]);
    expect(upgraded.conn.transport.name).toBe("websocket");
    expect(onPolling.conn.transport.name).toBe("polling");
  });

  it("gives each server of the process its own queues: a long heartbeat does not hold up a short one", async () => {
    const slow = await startServer({ pingInterval: 60_000, pingTimeout: 60_000 });
    const fast = await startServer({ pingInterval: 20, pingTimeout: 20 });
    // Queued first, with a far deadline: one queue for both servers would make the others wait for it.
    const slowSilent = await rawJoined(slow, false);
    const fastSilent = await rawJoined(fast, false);
    const fastAnswering = await rawJoined(fast, true);

    expect(await disconnectReason(fastSilent.socket)).toBe("ping timeout");
    await pongs(fastAnswering.socket, 2);
    expect(fastAnswering.socket.connected).toBe(true);
    // The slow server pinged nobody yet: its session is untouched by the fast one's timers.
    expect(slowSilent.raw.texts().filter((t) => t === "2")).toEqual([]);
    expect(slowSilent.socket.connected).toBe(true);
  });

  it("does not grow its queues for pongs that answer no ping", async () => {
    const srv = await startServer({ pingInterval: 60_000, pingTimeout: 60_000 });
    // A first session ahead in the ping queue: the sprayer's entries are never at its front.
    await rawJoined(srv, true);
    const sprayer = await rawJoined(srv, true);
    const taken = pongs(sprayer.socket, 2000);
    for (let i = 0; i < 2000; i++) sprayer.raw.send("3");
    await taken;
    // One entry per session: moving the sprayer on each pong would leave 2000 dead ones behind.
    expect(srv.io.engine.heartbeats.size).toBe(2);
    expect(sprayer.socket.connected).toBe(true);
  });

  it("leaves no timer behind once its sessions are gone, so it holds no process alive", async () => {
    const srv = await startServer({ pingInterval: 60_000, pingTimeout: 60_000 });
    const heartbeats = srv.io.engine.heartbeats;
    const sessions = await Promise.all([rawJoined(srv, true), rawJoined(srv, true), rawJoined(srv, true)]);
    expect([heartbeats.size, heartbeats.timers]).toEqual([3, 1]);
    // Closed from the last to the first: each entry dies behind a live one until the last goes.
    for (const { raw, socket } of sessions.reverse()) {
      const reason = disconnectReason(socket);
      raw.terminate();
      expect(await reason).toBe("transport close");
    }
    // A ref'd timer left armed for the dead entries would hold the process until their deadline.
    expect([heartbeats.size, heartbeats.timers]).toEqual([0, 0]);
  });
});
