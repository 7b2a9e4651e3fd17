/**
 * [observe] The `metrics` and `health` options: registering into the application's prom-client
 * registry, counting without Prometheus, the health endpoint, validation at construction, and
 * the error when prom-client is missing.
 */
import http from "node:http";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { loadPromClient, PROM_CLIENT_MISSING, type MetricsRegistry } from "../../src/observe/prom-client.ts";
import { request } from "../polling/helpers.ts";
import { cleanup, closeHttp, connectPair, listen, onCleanup, startServer, waitFor } from "../support/harness.ts";
import { Server } from "../support/server.ts";
import { byLabel, parseExposition, single } from "./exposition.ts";

afterEach(cleanup);

/** A server on an HTTP server whose own handler answers "app" to everything it gets. */
async function withAppHandler(opts: ConstructorParameters<typeof Server>[1]): Promise<{ io: Server; port: number }> {
  const httpServer = http.createServer((_req, res) => res.writeHead(404).end("app"));
  const io = new Server(httpServer, opts);
  const port = await listen(httpServer);
  onCleanup(async () => {
    await io.close();
    await closeHttp(httpServer);
  });
  return { io, port };
}

describe("[observe] metrics: { register }", () => {
  it("registers the series in the application's registry, next to its own metrics, and serves no path", async () => {
    const register = new Registry();
    // The option's type accepts prom-client's Registry as it is.
    const typed: MetricsRegistry = register;
    const fx = await withAppHandler({ metrics: { register: typed } });
    const url = `http://127.0.0.1:${fx.port}`;
    const { client, server } = await connectPair(fx.io, url);
    const said = waitFor(server, "hi");
    client.emit("hi");
    await said;

    const f = parseExposition(await register.metrics());
    expect(byLabel(f, "roomcast_engine_connections", "transport")).toEqual({ polling: 0, websocket: 1 });
    expect(byLabel(f, "roomcast_connected_sockets", "namespace")).toEqual({ "/": 1 });
    expect(single(f, "roomcast_events_received_total")).toBe(1);
    expect((await request(fx.port, "/metrics")).body).toBe("app");
  });

  it("refuses a second server on the same registry, and frees the names when the first closes", async () => {
    const register = new Registry();
    const first = await startServer({ metrics: { register } });
    expect(() => new Server({ metrics: { register } })).toThrow(/already been registered/);
    // The failed server removed nothing of the first one's.
    expect(parseExposition(await register.metrics()).has("roomcast_rooms")).toBe(true);
    await first.close();
    expect((await register.metrics()).trim()).toBe("");
    const second = await startServer({ metrics: { register } });
    expect(parseExposition(await register.metrics()).has("roomcast_rooms")).toBe(true);
    await second.close();
  });

  it("works with an OpenMetrics registry (counter families named without _total, samples with it once)", async () => {
    // prom-client's types omit the constructor's content-type parameter; its code takes it.
    const OpenMetricsRegistry = Registry as unknown as new (contentType: string) => MetricsRegistry;
    const register = new OpenMetricsRegistry(Registry.OPENMETRICS_CONTENT_TYPE);
    expect(register.contentType).toBe(Registry.OPENMETRICS_CONTENT_TYPE);
    await startServer({ metrics: { register } });
    const text = await register.metrics();
    expect(text).toContain("# TYPE roomcast_events_sent counter\nroomcast_events_sent_total 0\n");
    expect(text).not.toContain("_total_total");
    expect(text.endsWith("# EOF\n")).toBe(true);
  });
});

describe("[observe] metrics: true", () => {
  it("counts without prom-client and serves nothing; off, io.metrics is null", async () => {
    const on = await withAppHandler({ metrics: true });
    expect(on.io.metrics?.snapshot()).toEqual({
      engineConnections: { polling: 0, websocket: 0 },
      connectedSockets: { "/": 0 },
      rooms: { "/": 0 },
      eventsReceived: 0, eventsSent: 0, broadcasts: 0, disconnects: {}, volatileDropped: 0, bufferFull: 0,
      connectErrors: {}, clusterPublished: 0, clusterReceived: 0, clusterErrors: {},
    });
    expect((await request(on.port, "/metrics")).body).toBe("app");
    const off = await withAppHandler({});
    expect(off.io.metrics).toBeNull();
    expect((await request(off.port, "/metrics")).body).toBe("app");
  });
});

describe("[observe] health: { path }", () => {
  it("answers GET with 200 and the connection count, HEAD without a body, other methods with 405", async () => {
    const { io, port } = await withAppHandler({ health: { path: "/health" } });
    const res = await request(port, "/health");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json");
    const body = JSON.parse(res.body) as Record<string, unknown>;
    expect(body).toMatchObject({ status: "ok", connections: 0 });
    expect(typeof body["uptime"]).toBe("number");
    expect((await request(port, "/health", { method: "HEAD" })).body).toBe("");
    expect((await request(port, "/health", { method: "DELETE" })).status).toBe(405);
    // A probe opens no Engine.IO session (probing /socket.io/ would open one each time).
    expect(io.engine.clientsCount).toBe(0);
    expect((await request(port, "/healthz")).body).toBe("app");
  });
});

describe("[observe] option validation", () => {
  it.each([
    ["metrics: 1", { metrics: 1 }, /metrics must be a boolean/],
    ["an unknown key", { metrics: { paht: "/metrics" } }, /no "paht"/],
    ["a relative path", { metrics: { path: "metrics" } }, /must be a path starting with/],
    ["a path with a query", { metrics: { path: "/m?x" } }, /must be a path starting with/],
    ["the Socket.IO path", { metrics: { path: "/socket.io/" } }, /is the Socket.IO path/],
    ["a register that is not a registry", { metrics: { register: {} } }, /prom-client Registry/],
    ["health: true", { health: true }, /health must be false or/],
    ["health without a path", { health: {} }, /health.path must be/],
    ["health on the metrics path", { metrics: { path: "/m" }, health: { path: "/m" } }, /both \/m/],
  ])("refuses %s at construction", (_what, opts, message) => {
    expect(() => new Server(opts as ConstructorParameters<typeof Server>[0])).toThrow(message);
  });

  it("says how to fix a missing prom-client", () => {
    let caught: unknown;
    try {
      loadPromClient("roomcast-test-no-such-package");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(Error);
    expect((caught as { code?: string }).code).toBe(PROM_CLIENT_MISSING);
    expect((caught as Error).message).toContain("npm install prom-client");
    expect(() => loadPromClient("node:path")).toThrow(/does not look like prom-client/);
  });
});
