/**
 * `npm run loadtest` end to end, with small numbers: against the chat demo (what `npm start`
 * serves) and against socket.io with the documented relay, each over WebSocket and
 * long-polling, then Ctrl-C mid-run. Assertions are on the JSON report, the exit code and the
 * server's own view (every connection closed) — never on how fast anything was.
 */
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server as SocketIoServer } from "socket.io";
import { afterEach, describe, expect, it } from "vitest";
import type { LoadTestReport } from "../../bench/loadtest/report.ts";
import { relayForLoadTest } from "../../bench/loadtest/relay.ts";
import { createChatServer } from "../../examples/chat/server.ts";
import { runCli, startCli } from "./run-cli.ts";

/** Counts a server's connections and disconnections, to see that the load test closed all it opened. */
interface Watched {
  url: string;
  connections: number;
  /** Resolves once as many sockets have disconnected as connected (at least `n`). */
  allClosed(n: number): Promise<void>;
  close(): Promise<void>;
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function watch(httpServer: HttpServer, nsp: { on(ev: "connection", fn: (s: { on(ev: "disconnect", fn: () => void): unknown }) => void): unknown }, close: () => Promise<void>, path = ""): Promise<Watched> {
  let disconnections = 0;
  let waiter: (() => void) | undefined;
  const watched: Watched = {
    url: "",
    connections: 0,
    allClosed(n) {
      return new Promise((resolve) => {
        waiter = () => watched.connections >= n && disconnections === watched.connections && resolve();
        waiter();
      });
    },
    close,
  };
  nsp.on("connection", (socket) => {
    watched.connections++;
    socket.on("disconnect", () => {
      disconnections++;
      waiter?.();
    });
  });
  closers.push(close);
  return new Promise((resolve) => {
    httpServer.listen(0, "127.0.0.1", () => {
      watched.url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}${path}`;
      resolve(watched);
    });
  });
}

/**
 * A ping every 100 ms, each to be answered within 1 s: a client that did not answer pings would
 * be dropped about a second after connecting, in the middle of the two-second run.
 */
const FAST_HEARTBEAT = { pingInterval: 100, pingTimeout: 1000 };

function chatDemo(): Promise<Watched> {
  const { httpServer, io } = createChatServer(FAST_HEARTBEAT);
  return watch(httpServer, io.of("/"), () => io.close());
}

/** socket.io 4.8 with the README's relay on namespace /loadtest (so the URL's path is exercised). */
function socketIo(handler: (socket: Parameters<typeof relayForLoadTest>[0]) => void = relayForLoadTest): Promise<Watched> {
  const httpServer = createServer();
  const io = new SocketIoServer(httpServer, FAST_HEARTBEAT);
  const nsp = io.of("/loadtest");
  nsp.on("connection", (socket) => handler(socket));
  return watch(httpServer, nsp, () => new Promise((done) => void io.close(() => done())), "/loadtest");
}

/** The checks every complete run must pass. */
function expectCompleteRun(report: LoadTestReport | undefined, clients: number): asserts report is LoadTestReport {
  expect(report?.outcome).toBe("completed");
  if (report === undefined) return;
  expect(report.errors, JSON.stringify(report.errors)).toEqual({ total: 0, byKind: {}, samples: [] });
  expect(report.connect.ready).toBe(clients);
  expect(report.connect.connectMs.count).toBe(clients);
  expect(report.dropped).toBe(0);
  // Every connection was closed by the load test itself, with the server's answer.
  expect(report.close).toMatchObject({ clean: clients, cut: 0 });
  const t = report.traffic;
  expect(t.sent).toBeGreaterThan(0);
  expect(t.expected).toBeGreaterThan(0);
  expect(t.received).toBe(t.expected);
  expect(t.echoes).toBe(0);
  const l = report.latencyMs;
  expect(l.count).toBe(t.received);
  const ordered = [l.min, l.p50, l.p90, l.p99, l.p999, l.max];
  for (const v of ordered) expect(Number.isFinite(v) && v >= 0, String(ordered)).toBe(true);
  expect([...ordered].sort((a, b) => a - b)).toEqual(ordered);
  expect(report.bytes.sent).toBeGreaterThan(0);
  expect(report.bytes.received).toBeGreaterThan(0);
  expect(report.ok).toBe(true);
}

const SMALL = ["--clients", "20", "--rooms", "2", "--rate", "20", "--duration", "2", "--json", "--quiet"];

describe("npm run loadtest", () => {
  it.each(["websocket", "polling"])("runs against the chat demo (npm start) out of the box over %s and closes everything", async (transport) => {
    const server = await chatDemo();
    const run = await runCli(["--url", server.url, ...SMALL, "--transport", transport]);
    expect(run.code, run.stderr).toBe(0);
    expectCompleteRun(run.report, 20);
    expect(run.report.config.joinEvent).toBe("join");
    expect(run.report.config.messageEvent).toBe("chat message");
    // The demo's own events (join notices, the room list) are counted apart from deliveries.
    expect(run.report.traffic.otherEvents).toBeGreaterThan(0);
    await server.allClosed(20);
    expect(server.connections).toBe(20);
  }, 30_000);

  it.each(["websocket", "polling"])("runs against socket.io with the documented relay, in a namespace, over %s", async (transport) => {
    const server = await socketIo();
    const run = await runCli(["--url", server.url, ...SMALL, "--transport", transport]);
    expect(run.code, run.stderr).toBe(0);
    expectCompleteRun(run.report, 20);
    expect(run.report.target.namespace).toBe("/loadtest");
    expect(run.report.traffic.otherEvents).toBe(0);
    await server.allClosed(20);
  }, 30_000);

  it("reports a server that does not relay: nothing received, not ok, with a warning", async () => {
    const server = await socketIo((socket) => socket.on("join", (room: string, ack: () => void) => (socket.join(room), ack())));
    const run = await runCli(["--url", server.url, "--clients", "4", "--duration", "1", "--drain", "0.2", "--json", "--quiet"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.report?.outcome).toBe("completed");
    expect(run.report?.traffic.sent).toBeGreaterThan(0);
    expect(run.report?.traffic.received).toBe(0);
    expect(run.report?.ok).toBe(false);
    expect(run.report?.warnings.join("\n")).toMatch(/no message came back: the server must relay "chat message"/);
    await server.allClosed(4);
  }, 30_000);

  it("stops on SIGINT mid-run: partial report, exit code 130, every connection closed", async () => {
    const server = await socketIo();
    const cli = startCli(["--url", server.url, "--clients", "10", "--rate", "50", "--duration", "600", "--json"]);
    await cli.stderrLine(/^sending 50 msgs\/s/);
    cli.child.kill("SIGINT");
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(130);
    expect(run.report?.outcome).toBe("interrupted");
    expect(run.report?.ok).toBe(false);
    expect(run.report?.connect.ready).toBe(10);
    expect(run.stderr).toMatch(/SIGINT: stopping/);
    expect(run.report?.close).toMatchObject({ clean: 10, cut: 0 });
    await server.allClosed(10);
  }, 30_000);
});
