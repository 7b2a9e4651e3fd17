/**
 * Item 7 of issue #9: packets racing a disconnect. Once a socket is disconnected, nothing more
 * of any packet reaches the application. [SIO5:after-disconnect]
 *
 * Packets the client sent BEFORE its DISCONNECT are handled, in order, before the disconnect:
 * `42["x"]` then `41` in one read runs the `x` listener, then `disconnecting`. socket.io 4.8
 * drops `x` in that case (its listeners run a tick later, by which time the socket is gone,
 * while its `onAny` listeners already saw it): reported as socketio/socket.io#5213, still open,
 * with a proposed fix (#5531) that dispatches at once like roomcast does. Packets after the
 * DISCONNECT, or queued behind an asynchronous middleware when it arrives, are dropped, as in
 * socket.io.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, serverSocket, startServer, waitFor } from "../support/harness.ts";
import { RawClient } from "../support/raw.ts";
import type { ServerSocket } from "../support/server.ts";
import { PollingClient, packets } from "../polling/helpers.ts";

afterEach(cleanup);

/** What the server-side socket lived through, in order. */
function journal(socket: ServerSocket): string[] {
  const log: string[] = [];
  socket.onAny((event: string) => log.push(`any:${event}`));
  for (const event of ["x", "y"]) socket.on(event, () => log.push(`on:${event}`));
  socket.on("disconnecting", (reason: string) => log.push(`disconnecting:${reason}`));
  socket.on("disconnect", () => log.push("disconnect"));
  socket.on("error", (err: Error) => log.push(`error:${err.message}`));
  return log;
}

async function rawJoined(port: number, io: Awaited<ReturnType<typeof startServer>>["io"]) {
  const { raw } = await RawClient.open(port);
  const socket = serverSocket(io.of("/"), await raw.connectNsp("/"));
  return { raw, socket, log: journal(socket) };
}

describe("Packets racing a disconnect [SIO5:after-disconnect]", () => {
  it("an event sent just before the client's DISCONNECT is handled, before `disconnecting`", async () => {
    const { io, port } = await startServer();
    const { raw, socket, log } = await rawJoined(port, io);
    const gone = waitFor(socket, "disconnect");
    raw.send('42["x"]');
    raw.send("41");
    await gone;
    expect(log).toEqual(["any:x", "on:x", "disconnecting:client namespace disconnect", "disconnect"]);
  });

  it("an event sent after the client's DISCONNECT is never handled (the connection stays)", async () => {
    const { io, port } = await startServer();
    const { raw, socket, log } = await rawJoined(port, io);
    const gone = waitFor(socket, "disconnect");
    raw.send("41");
    raw.send('42["x"]');
    await gone;
    // Still open: joining again answers, so the dropped event was read before it.
    await raw.connectNsp("/");
    expect(log).toEqual(["disconnecting:client namespace disconnect", "disconnect"]);
  });

  it("an event queued behind an asynchronous middleware when the DISCONNECT arrives is never handled, nor its error reported", async () => {
    const { io, port } = await startServer();
    const { raw, socket, log } = await rawJoined(port, io);
    const pending: Array<() => void> = [];
    const queued = new Promise<void>((resolve) => {
      socket.use((event, next) => {
        pending.push(() => next(event[0] === "y" ? new Error("refused y") : undefined));
        if (pending.length === 2) resolve();
      });
    });
    const gone = waitFor(socket, "disconnect");
    raw.send('42["x"]');
    raw.send('42["y"]');
    await queued;
    raw.send("41");
    await gone;
    for (const next of pending) next();
    expect(log).toEqual(["any:x", "any:y", "disconnecting:client namespace disconnect", "disconnect"]);
  });

  it("a catch-all listener that disconnects the socket: the event's own listeners are not called", async () => {
    const { io, port } = await startServer();
    const { raw, socket, log } = await rawJoined(port, io);
    socket.prependAny((event: string) => {
      if (event === "x") socket.disconnect();
    });
    raw.send('42["x"]');
    await raw.nextText("41");
    // The other catch-all listeners still run (as in socket.io); the `x` listener does not.
    expect(log).toEqual(["disconnecting:server namespace disconnect", "disconnect", "any:x"]);
  });

  it("events behind a server-side disconnect(true) in the same POST body are not handled", async () => {
    const { io, port } = await startServer();
    const client = new PollingClient(port, "/socket.io/");
    await client.handshake();
    const connection = waitFor(io, "connection");
    await client.post("40");
    const [socket] = (await connection) as [ServerSocket];
    const log = journal(socket);
    socket.on("kick", () => socket.disconnect(true));
    await client.get(); // the CONNECT answer
    await client.post(["42[\"kick\"]", "42[\"x\"]", "42[\"y\"]"].join("\x1e"));
    expect(packets((await client.get()).body)).toEqual(["41"]);
    expect(log).toEqual(["any:kick", "disconnecting:server namespace disconnect", "disconnect"]);
  });

  it("events behind a server-side namespace disconnect in the same read are dropped", async () => {
    const { io, port } = await startServer();
    const { raw, socket, log } = await rawJoined(port, io);
    socket.on("leave", () => socket.disconnect());
    raw.send('42["leave"]');
    raw.send('42["x"]');
    await raw.nextText("41");
    await raw.connectNsp("/"); // read past both
    expect(log).toEqual(["any:leave", "disconnecting:server namespace disconnect", "disconnect"]);
  });
});
