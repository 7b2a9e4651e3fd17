/**
 * Item 5 of issue #9: `socket.disconnect(true)` while a default client (polling, then the
 * WebSocket upgrade) is upgrading must end with the client's `disconnect` reason
 * "io server disconnect", as with socket.io, every time.
 *
 * Root cause (before the fix): a server-side close cancelled the upgrade at once, closing the
 * probed WebSocket, and left the DISCONNECT packets queued on polling. A probed client has
 * stopped polling (it waits for its last GET, then sends `5` on the WebSocket), so it either saw
 * the WebSocket close ("transport close", then reconnected), or, when the close came while its
 * polling transport was pausing, kept that transport paused for ever: `connected === true`, no
 * server socket, until its ping timeout. [EIO4:upgrade-close]
 *
 * A heartbeat of 5 + 5 s makes such a ghost surface as a wrong reason ("ping timeout") well
 * within the test's timeout instead of hanging it. Not shorter: with 1 + 1 s, 30 clients on a
 * machine loaded by a parallel suite run (load average 20 on 2 cores) were seen to time out for
 * real.
 *
 * Checked against the code before the fix (707f07c reverted, 5 + 5 s heartbeat): the last three
 * cases fail every time ("transport close", sometimes a ghost's "ping timeout" after 10 s); the
 * first two kick before any probe, which the fix does not touch, and pass either way (they fail
 * when the DISCONNECT is dropped from a forced close).
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, connect, startServer, type ClientSocket } from "../support/harness.ts";
import type { ServerSocket } from "../support/server.ts";

afterEach(cleanup);

const CLIENTS = 30;

type Kick = (socket: ServerSocket) => void;

/** Starts CLIENTS default-transport clients against a server that kicks each as `kick` says; resolves with every client's disconnect reason. */
async function kickAll(kick: Kick, onClient?: (client: ClientSocket) => void): Promise<string[]> {
  const { io, url } = await startServer({ pingInterval: 5000, pingTimeout: 5000 });
  io.on("connection", kick);
  const reasons = await Promise.all(
    Array.from({ length: CLIENTS }, () => {
      // Default transports: polling first, then the upgrade (the suite's default is WebSocket only).
      const client = connect(url(), { transports: ["polling", "websocket"], upgrade: true });
      onClient?.(client);
      return new Promise<string>((resolve) => client.once("disconnect", (reason) => resolve(reason)));
    }),
  );
  expect(io.of("/").sockets.size).toBe(0);
  return reasons;
}

const everyone = Array.from({ length: CLIENTS }, () => "io server disconnect");

describe("socket.disconnect(true) while clients upgrade [EIO4:upgrade-close]", () => {
  it("kicked at `connection`: every client sees io server disconnect", async () => {
    expect(await kickAll((socket) => socket.disconnect(true))).toEqual(everyone);
  });

  it("kicked in a setTimeout(0) after `connection`: every client sees io server disconnect", async () => {
    expect(await kickAll((socket) => setTimeout(() => socket.disconnect(true), 0))).toEqual(everyone);
  });

  it("kicked in an event handler (the client emits on connect): every client sees io server disconnect", async () => {
    const reasons = await kickAll(
      (socket) => socket.on("kick-me", () => socket.disconnect(true)),
      (client) => client.on("connect", () => client.emit("kick-me")),
    );
    expect(reasons).toEqual(everyone);
  });

  it("kicked once the probe is answered (engine `upgrading`): every client sees io server disconnect", async () => {
    const reasons = await kickAll((socket) => {
      if (socket.conn.upgrading) socket.disconnect(true);
      else socket.conn.once("upgrading", () => socket.disconnect(true));
    });
    expect(reasons).toEqual(everyone);
  });

  it("kicked in a setTimeout(0) after the probe is answered: every client sees io server disconnect", async () => {
    const reasons = await kickAll((socket) => {
      const later = (): void => {
        setTimeout(() => socket.disconnect(true), 0);
      };
      if (socket.conn.upgrading) later();
      else socket.conn.once("upgrading", later);
    });
    expect(reasons).toEqual(everyone);
  });
});
