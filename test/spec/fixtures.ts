/**
 * The servers transcripts run against, named by their `server=` info option. Each transcript gets
 * a fresh one on 127.0.0.1, port 0, so ids (ack ids, dynamic namespace counts) start from scratch.
 * spec/README.md ("Fixtures") describes them for readers; keep the two in step.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { EngineServer, Server } from "../../src/index.ts";
import type { Namespace, ServerOptions, Socket } from "../../src/index.ts";
import type { LiveServer } from "./transcript-runner.ts";

/** A started fixture. */
export interface FixtureServer extends LiveServer {
  close(): Promise<void>;
}

type Fixture = () => Promise<FixtureServer>;

/**
 * The echo behaviour shared by every Socket.IO fixture, on one namespace:
 * - `ask` (args…): the server emits `question` (args…) asking for an ack; the client's answer
 *   (reply…) comes back as an `answer` (reply…) event;
 * - `leave-me`: the server disconnects this socket from the namespace (`socket.disconnect()`);
 * - `close-me`: the server closes the whole connection (`socket.disconnect(true)`);
 * - any other event is echoed: with an ack id, answered by an ACK carrying the event's arguments;
 *   without one, the same event with the same arguments is emitted back.
 */
function echo(nsp: Namespace): void {
  nsp.on("connection", (socket: Socket) => {
    socket.on("ask", (...args: unknown[]) => {
      socket.emit("question", ...args, (...reply: unknown[]) => socket.emit("answer", ...reply));
    });
    socket.on("leave-me", () => socket.disconnect());
    socket.on("close-me", () => socket.disconnect(true));
    socket.onAny((event: string, ...args: unknown[]) => {
      if (event === "ask" || event === "leave-me" || event === "close-me") return;
      const ack = args.at(-1);
      if (typeof ack === "function") ack(...args.slice(0, -1));
      else socket.emit(event, ...args);
    });
  });
}

/** `/admin`: only a CONNECT whose auth is `{"token":"s3cret"}` gets in; it is greeted with its auth. */
function admin(io: Server): void {
  const nsp = io.of("/admin");
  nsp.use((socket, next) => {
    if (socket.handshake.auth["token"] === "s3cret") return next();
    const err = Object.assign(new Error("not authorized"), { data: { hint: "send auth.token" } });
    next(err);
  });
  nsp.on("connection", (socket: Socket) => socket.emit("welcome", socket.handshake.auth));
  echo(nsp);
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

async function socketIo(opts: Partial<ServerOptions>, setup: (io: Server) => void): Promise<FixtureServer> {
  const server = http.createServer();
  const io = new Server(server, opts);
  setup(io);
  const port = await listen(server);
  return { port, http: server, close: () => io.close() };
}

/** Every fixture, by name. */
export const FIXTURES = {
  /** Default options; echo on `/`; `/admin` behind an auth middleware. */
  echo: () =>
    socketIo({}, (io) => {
      echo(io.of("/"));
      admin(io);
    }),
  /** Small limits, to show what happens at each bound; echo on `/` and on `/dyn-<digits>`. */
  limits: () =>
    socketIo({ maxHttpBufferSize: 100, maxBufferedBytes: 200, maxAttachments: 2, connectTimeout: 1000, maxDynamicNamespaces: 1 }, (io) => {
      echo(io.of("/"));
      echo(io.of(/^\/dyn-\d+$/));
    }),
  /** Connection state recovery on (defaults); echo on `/`. */
  recovery: () => socketIo({ connectionStateRecovery: {} }, (io) => echo(io.of("/"))),
  /** Fast heartbeat: a ping every 100 ms, 500 ms to answer it; echo on `/`. */
  heartbeat: () => socketIo({ pingInterval: 100, pingTimeout: 500 }, (io) => echo(io.of("/"))),
  /** A bare Engine.IO server on `/engine.io/` (default options) that echoes every message. */
  engine: async () => {
    const server = http.createServer();
    const engine = new EngineServer().attach(server);
    engine.on("connection", (socket) => socket.on("message", (data) => socket.send(data)));
    const port = await listen(server);
    return {
      port,
      http: server,
      close: async () => {
        engine.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  },
} satisfies Record<string, Fixture>;

/** The fixture called `name`, or undefined. */
export function fixture(name: string): Fixture | undefined {
  return Object.hasOwn(FIXTURES, name) ? FIXTURES[name as keyof typeof FIXTURES] : undefined;
}

/**
 * Whether the engine serves HTTP long-polling: a real polling handshake on the echo fixture must
 * answer 200. Transcripts marked `needs=polling` are skipped while this is false.
 */
export async function pollingSupported(): Promise<boolean> {
  const server = await FIXTURES.echo();
  try {
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port: server.port, path: "/socket.io/?EIO=4&transport=polling", agent: false }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        })
        .on("error", reject);
    });
    return status === 200;
  } finally {
    await server.close();
  }
}
