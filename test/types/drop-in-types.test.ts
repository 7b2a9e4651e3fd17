/**
 * Type-level drop-in checks (`tsc --noEmit`, part of `npm test`): patterns from socket.io's
 * TypeScript docs and common apps compile unchanged.
 */
import { createServer, type IncomingMessage } from "node:http";
import session from "express-session";
import helmet from "helmet";
import msgpackParser from "socket.io-msgpack-parser";
import * as socketIoParser from "socket.io-parser";
import { describe, expect, it } from "vitest";
import { Server, type Namespace } from "../../src/index.ts";

interface NspClientToServer {
  ping: (n: number) => void;
}
interface NspServerToClient {
  pong: (n: number) => void;
}
interface NspInterServer {
  sync: () => void;
}
interface NspData {
  user: string;
}

describe("drop-in types", () => {
  it("types a namespace with its own maps, as socket.io's docs do", () => {
    const io = new Server();
    const nsp: Namespace<NspClientToServer, NspServerToClient, NspInterServer, NspData> = io.of("/typed");
    nsp.on("connection", (socket) => {
      socket.on("ping", (n) => socket.emit("pong", n + 1));
      socket.data.user = "alice";
      // @ts-expect-error pong takes a number
      socket.emit("pong", "one");
    });
    expect(nsp.name).toBe("/typed");
  });

  it("accepts socket.io's parsers and Express middlewares", () => {
    const parsers = [new Server({ parser: msgpackParser }), new Server({ parser: socketIoParser })];
    const io = new Server(createServer(), { serveClient: false });
    const withEngine = (fn: (engine: Server["engine"]) => void): void => fn(io.engine);
    withEngine((engine) => {
      engine.generateId = (req: IncomingMessage) => String(req.headers["x-id"]);
      engine.generateId = async () => "async";
      engine.use(session({ secret: "s", resave: false, saveUninitialized: false }));
      engine.use(helmet());
      engine.use((req, res, next) => {
        res.setHeader("x-seen", req.url ?? "");
        next();
      });
    });
    expect(parsers).toHaveLength(2);
    void io.close();
  });
});
