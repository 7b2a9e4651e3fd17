/**
 * The Prometheus exporter: prom-client metrics whose values are set at scrape time (`collect`)
 * from a {@link ServerMetrics}, registered in a registry of their own (served on the `metrics`
 * path) or in the application's (`register`).
 *
 * Nothing here runs between scrapes: the server bumps plain numbers, and each scrape copies
 * them (and computes the gauges) into the prom-client objects.
 */
import type { ServerMetrics } from "./metrics.ts";
import type { MetricsRegistry, PromClient, PromLabels } from "./prom-client.ts";

/** Every series name roomcast exports (counters with their `_total` suffix). */
export const METRIC_NAMES = Object.freeze({
  engineConnections: "roomcast_engine_connections",
  connectedSockets: "roomcast_connected_sockets",
  rooms: "roomcast_rooms",
  eventsReceived: "roomcast_events_received_total",
  eventsSent: "roomcast_events_sent_total",
  broadcasts: "roomcast_broadcasts_total",
  disconnects: "roomcast_disconnects_total",
  volatileDropped: "roomcast_volatile_dropped_total",
  bufferFull: "roomcast_buffer_full_total",
  connectErrors: "roomcast_connect_errors_total",
  clusterPublished: "roomcast_cluster_published_total",
  clusterReceived: "roomcast_cluster_received_total",
  clusterErrors: "roomcast_cluster_errors_total",
});

/** A metric's values at one scrape: label values → number (`{}` for an unlabelled metric). */
type Samples = Array<[PromLabels, number]>;

interface Definition {
  name: string;
  help: string;
  type: "gauge" | "counter";
  labelNames: readonly string[];
  read: (m: ServerMetrics) => Samples;
}

const NO_LABELS: PromLabels = Object.freeze({}) as PromLabels;

function one(value: number): Samples {
  return [[NO_LABELS, value]];
}

function byLabel(label: string, values: Record<string, number> | ReadonlyMap<string, number>): Samples {
  const entries = values instanceof Map ? [...values] : Object.entries(values);
  return entries.map(([key, value]) => [{ [label]: key }, value]);
}

const DEFINITIONS: readonly Definition[] = [
  { name: METRIC_NAMES.engineConnections, type: "gauge", labelNames: ["transport"], help: "Open Engine.IO connections by transport (an upgrading one counts as polling).", read: (m) => byLabel("transport", m.engineConnections()) },
  { name: METRIC_NAMES.connectedSockets, type: "gauge", labelNames: ["namespace"], help: "Connected Socket.IO sockets by namespace.", read: (m) => byLabel("namespace", m.connectedSockets()) },
  { name: METRIC_NAMES.rooms, type: "gauge", labelNames: ["namespace"], help: "Named rooms by namespace (not the room each socket has under its own id).", read: (m) => byLabel("namespace", m.rooms()) },
  { name: METRIC_NAMES.eventsReceived, type: "counter", labelNames: [], help: "Events received from clients.", read: (m) => one(m.eventsReceived) },
  { name: METRIC_NAMES.eventsSent, type: "counter", labelNames: [], help: "Events handed to clients' connections (one per broadcast recipient; volatile drops excluded).", read: (m) => one(m.eventsSent) },
  { name: METRIC_NAMES.broadcasts, type: "counter", labelNames: [], help: "Broadcasts emitted on this server.", read: (m) => one(m.broadcasts) },
  { name: METRIC_NAMES.disconnects, type: "counter", labelNames: ["reason"], help: "Socket disconnections by reason.", read: (m) => byLabel("reason", m.disconnects) },
  { name: METRIC_NAMES.volatileDropped, type: "counter", labelNames: [], help: "Volatile events dropped because the connection could not take them.", read: (m) => one(m.volatileDropped) },
  { name: METRIC_NAMES.bufferFull, type: "counter", labelNames: [], help: "Connections closed because their write buffer passed maxBufferedBytes.", read: (m) => one(m.bufferFull) },
  { name: METRIC_NAMES.connectErrors, type: "counter", labelNames: ["code"], help: "Refused connections by code.", read: (m) => byLabel("code", m.connectErrors) },
  { name: METRIC_NAMES.clusterPublished, type: "counter", labelNames: [], help: "Messages published to Redis by cluster adapters.", read: (m) => one(m.clusterPublished) },
  { name: METRIC_NAMES.clusterReceived, type: "counter", labelNames: [], help: "Messages received from Redis by cluster adapters.", read: (m) => one(m.clusterReceived) },
  { name: METRIC_NAMES.clusterErrors, type: "counter", labelNames: ["code"], help: "Errors reported by cluster adapters, by code.", read: (m) => byLabel("code", m.clusterErrors) },
];

/**
 * roomcast's metrics in a prom-client registry.
 *
 * @example
 * const exporter = new PrometheusExporter(loadPromClient(), io.metrics);
 * res.end(await exporter.registry.metrics());
 */
export class PrometheusExporter {
  /** The registry the metrics are in (the `register` option, or one of the exporter's own). */
  readonly registry: MetricsRegistry;
  private readonly names: string[] = [];

  /**
   * Creates and registers every metric.
   *
   * @param prom - the prom-client module.
   * @param metrics - where the values are read at each scrape.
   * @param register - the application's registry; default: a new one.
   * @throws prom-client's Error when a metric of the same name is already registered there.
   */
  constructor(prom: PromClient, metrics: ServerMetrics, register?: MetricsRegistry) {
    this.registry = register ?? new prom.Registry();
    const registers = [this.registry];
    try {
      for (const def of DEFINITIONS) {
        // Counters keep their `_total`: an OpenMetrics registry drops it from the family name itself.
        const name = def.name;
        const base = { name, help: def.help, labelNames: def.labelNames, registers };
        if (def.type === "gauge") {
          new prom.Gauge({
            ...base,
            collect() {
              this.reset();
              for (const [labels, value] of def.read(metrics)) this.set(labels, value);
            },
          });
        } else {
          new prom.Counter({
            ...base,
            collect() {
              // A counter only goes up: it is rebuilt from the running total at each scrape.
              this.reset();
              for (const [labels, value] of def.read(metrics)) this.inc(labels, value);
            },
          });
        }
        // Remembered once registered: a name another server holds is never removed by this one.
        this.names.push(name);
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Removes roomcast's metrics from the registry (so a new server may register them again). */
  close(): void {
    for (const name of this.names.splice(0)) this.registry.removeSingleMetric(name);
  }
}
