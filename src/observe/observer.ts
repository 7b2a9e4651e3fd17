/**
 * What the `metrics` and `health` options set up on a server: the counters, the Prometheus
 * exporter when asked for, and the two HTTP endpoints, served on the server's own HTTP server
 * through the engine's attachment (no second server, no second port).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EngineServer } from "../transport/engine-server.ts";
import { ENGINE_ERROR_NAMES, ServerMetrics, type MetricsSource } from "./metrics.ts";
export type { ServerMetrics } from "./metrics.ts";
import { loadPromClient, type MetricsRegistry } from "./prom-client.ts";
import { PrometheusExporter } from "./prometheus.ts";

/**
 * The `metrics` option: `true` counts (read them with `io.metrics.snapshot()`); `path` also
 * serves them in the Prometheus text format; `register` puts them in the application's
 * prom-client registry. `path` and `register` need the `prom-client` package.
 */
export interface MetricsOptions {
  /** Serve the exposition on this exact path of the server's HTTP server (e.g. `"/metrics"`). */
  path?: string;
  /** Register the metrics in this prom-client registry instead of a registry of their own. */
  register?: MetricsRegistry;
}

/** The `health` option: answer `GET path` with 200 and a small JSON body while the server runs. */
export interface HealthOptions {
  /** The exact path, e.g. `"/health"`. */
  path: string;
}

/** What the server passes: both options, already validated by options.ts. */
export interface ObserveSettings {
  metrics: boolean | MetricsOptions;
  health: false | HealthOptions;
}

/**
 * One server's observability. Created in the server's constructor (before any namespace, so
 * every namespace sees the counters), attached with the engine.
 */
export class Observer {
  /** The counters and gauges, or null when the `metrics` option is off. */
  readonly metrics: ServerMetrics | null;
  private readonly exporter: PrometheusExporter | null = null;
  private engine: EngineServer | null = null;

  /**
   * @param source - the server (its engine, namespaces and rooms).
   * @param settings - the validated options.
   * @throws Error `ROOMCAST_ERR_PROM_CLIENT_MISSING` when Prometheus is asked for without prom-client.
   */
  constructor(
    private readonly source: MetricsSource,
    private readonly settings: ObserveSettings,
  ) {
    const opts = settings.metrics;
    this.metrics = opts === false ? null : new ServerMetrics(source);
    if (this.metrics !== null && typeof opts === "object" && (opts.path !== undefined || opts.register !== undefined)) {
      this.exporter = new PrometheusExporter(loadPromClient(), this.metrics, opts.register);
    }
  }

  /** Serves the endpoints on `engine`'s HTTP server and counts the requests it refuses. */
  attach(engine: EngineServer): void {
    this.engine = engine;
    const metrics = this.metrics;
    if (metrics !== null) {
      // One listener per server, only with metrics on; refusals are rare and cheap to count.
      engine.on("connection_error", (err) => {
        const name = ENGINE_ERROR_NAMES[err.code];
        if (name !== undefined) metrics.countConnectError(name);
      });
    }
    const metricsPath = typeof this.settings.metrics === "object" ? this.settings.metrics.path : undefined;
    const exporter = this.exporter;
    if (metricsPath !== undefined && exporter !== null) engine.routes.add(metricsPath, (req, res) => serveMetrics(exporter.registry, req, res));
    const health = this.settings.health;
    if (health !== false) engine.routes.add(health.path, (req, res) => this.serveHealth(req, res));
  }

  /** Takes the metrics out of the application's registry (a new server may then register them). */
  close(): void {
    this.exporter?.close();
  }

  private serveHealth(req: IncomingMessage, res: ServerResponse): void {
    if (!allowRead(req, res)) return;
    const body = JSON.stringify({ status: "ok", uptime: Math.round(process.uptime()), connections: this.engine?.clientsCount ?? 0 });
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store", "content-length": Buffer.byteLength(body) });
    res.end(req.method === "HEAD" ? undefined : body);
  }
}

/** Answers 405 to anything but GET and HEAD. */
function allowRead(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === "GET" || req.method === "HEAD") return true;
  res.writeHead(405, { allow: "GET, HEAD" }).end();
  return false;
}

function serveMetrics(registry: MetricsRegistry, req: IncomingMessage, res: ServerResponse): void {
  if (!allowRead(req, res)) return;
  registry.metrics().then(
    (text) => {
      res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store", "content-length": Buffer.byteLength(text) });
      res.end(req.method === "HEAD" ? undefined : text);
    },
    (err: unknown) => {
      // A failing collector of the application's own (register mode) must not crash the server.
      res.writeHead(500, { "content-type": "text/plain" }).end(`metrics unavailable: ${err instanceof Error ? err.message : String(err)}`);
    },
  );
}
