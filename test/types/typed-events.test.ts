/**
 * Typed-event generics, as socket.io has them: `Server<ListenEvents, EmitEvents,
 * ServerSideEvents, SocketData>`. These checks run at type-check time (`tsc --noEmit`, part of
 * `npm test`); the `@ts-expect-error` lines fail the type-check if a wrong call is accepted.
 */
import { describe, expect, it } from "vitest";
import { Server, type Socket } from "../../src/index.ts";

interface ClientToServer {
  hello: (name: string, ack: (reply: string) => void) => void;
  count: (n: number) => void;
}
interface ServerToClient {
  greeting: (text: string) => void;
  total: (n: number, ack: (ok: boolean) => void) => void;
}
interface InterServer {
  ping: (from: string) => void;
}
interface Data {
  user: string;
}

describe("typed events", () => {
  it("narrows on/emit to the declared maps", () => {
    const io = new Server<ClientToServer, ServerToClient, InterServer, Data>();
    io.on("connection", (socket: Socket<ClientToServer, ServerToClient, InterServer, Data>) => {
      socket.on("hello", (name, ack) => ack(name.toUpperCase()));
      socket.on("count", (n) => void n.toFixed());
      socket.emit("greeting", "hi");
      socket.emit("total", 1, (ok) => void ok.valueOf());
      socket.data.user = "alice";
      // @ts-expect-error greeting takes a string
      socket.emit("greeting", 1);
      // @ts-expect-error unknown event
      socket.emit("nope");
      // @ts-expect-error listener argument type must match
      socket.on("count", (n: string) => void n);
      socket.on("disconnect", (reason) => void reason.length);
    });
    io.to("room").emit("greeting", "all");
    // @ts-expect-error wrong argument for a broadcast
    io.to("room").emit("greeting", false);
    io.serverSideEmit("ping", "node-1");
    // @ts-expect-error server-side event not declared
    io.serverSideEmit("pong");
    expect(io.sockets).toBe(io.of("/"));
  });

  it("accepts anything with the default maps", () => {
    const io = new Server();
    io.on("connection", (socket) => {
      socket.on("anything", (a: string, b: number) => void [a, b]);
      socket.emit("whatever", 1, "two", { three: 3 });
      socket.data.anything = 1;
    });
    io.emit("x", 1, 2, 3);
    expect(io.of("/").name).toBe("/");
  });
});
