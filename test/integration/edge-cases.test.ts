/**
 * Regression tests for edge cases found in review: refused connections to dynamic children,
 * acknowledgements requested after a disconnect, and refusals whose data cannot be serialised.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, connect, connectError, connectPair, startServer, whenConnected } from "../support/harness.ts";

afterEach(cleanup);

describe("dynamic namespaces", () => {
  it("[SIO5:dynamic-namespace] a refused connection does not keep its child alive (cleanupEmptyChildNamespaces)", async () => {
    const { io, url } = await startServer({ cleanupEmptyChildNamespaces: true, maxDynamicNamespaces: 1 });
    io.of(/^\/dyn-\d+$/).use((socket, next) => {
      next(socket.handshake.auth.ok === true ? undefined : new Error("no"));
    });
    // Refused: with the child kept, this would use up the single allowed dynamic namespace.
    expect((await connectError(connect(url("/dyn-1")))).message).toBe("no");
    const allowed = connect(url("/dyn-2"), { auth: { ok: true } });
    await whenConnected(allowed);
    expect(io.of("/dyn-2").sockets.size).toBe(1);
  });
});

describe("Socket acknowledgements", () => {
  it("[SIO5:ack] an ack requested after the socket disconnected fails at once with 'socket has been disconnected'", async () => {
    const { io, url } = await startServer();
    const { server } = await connectPair(io, url());
    server.disconnect();
    const err = await new Promise<unknown>((resolve) => {
      server.timeout(60_000).emit("late", (e: unknown) => resolve(e));
    });
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe("socket has been disconnected");
  });
});

describe("middleware refusals", () => {
  it("[SIO5:connect-error] a refusal whose data cannot be serialised still reaches the client with its message", async () => {
    const { io, url } = await startServer();
    io.use((_socket, next) => {
      next(Object.assign(new Error("nope"), { data: { big: 10n } }));
    });
    const err = await connectError(connect(url()));
    expect(err.message).toBe("nope");
    expect(err.data).toBeUndefined();
    // The server is still serving: a later connection is refused the same way, not ignored.
    expect((await connectError(connect(url()))).message).toBe("nope");
  });
});
