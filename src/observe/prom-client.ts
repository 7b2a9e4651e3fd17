/**
 * The slice of `prom-client` roomcast uses, described structurally (roomcast imports none of its
 * types, so a project without prom-client still type-checks), and its loading on demand.
 *
 * prom-client is an optional peer dependency: it is loaded only when the `metrics` option asks
 * for Prometheus (`path` or `register`), synchronously, so that `new Server(…)` itself throws a
 * clear error when it is missing instead of failing later in a promise nobody awaits.
 */
import { createRequire } from "node:module";

/** A metric as a registry holds it. */
export interface PromMetric {
  readonly name: string;
}

/**
 * A prom-client `Registry` (the `register` option): where roomcast's metrics are registered.
 * prom-client's own `Registry` (and its global `register`) fit.
 */
export interface MetricsRegistry {
  /**
   * Adds a metric. prom-client calls it (for each metric created with this registry in
   * `registers`), roomcast never does: the parameter is typed loosely so any registry fits.
   */
  registerMetric(metric: never): void;
  /** The text exposition of every metric registered. */
  metrics(): Promise<string>;
  /** Removes the metric `name` (when the server closes). */
  removeSingleMetric(name: string): void;
  /** The exposition's content type (Prometheus text or OpenMetrics). */
  readonly contentType: string;
}

/** Labels of one sample. */
export type PromLabels = Record<string, string>;

/** What roomcast gives a metric's constructor. */
export interface PromMetricConfig<M> {
  name: string;
  help: string;
  labelNames: readonly string[];
  registers: MetricsRegistry[];
  /** Called on the metric at each scrape, before its values are read: roomcast sets them here. */
  collect: (this: M) => void;
}

/** A prom-client `Gauge`, as roomcast sets it. */
export interface PromGauge extends PromMetric {
  set(labels: PromLabels, value: number): void;
  reset(): void;
}

/** A prom-client `Counter`, as roomcast sets it. */
export interface PromCounter extends PromMetric {
  inc(labels: PromLabels, value: number): void;
  reset(): void;
}

/** The prom-client module. */
export interface PromClient {
  Registry: new () => MetricsRegistry;
  Gauge: new (config: PromMetricConfig<PromGauge>) => PromGauge;
  Counter: new (config: PromMetricConfig<PromCounter>) => PromCounter;
}

/** Error code when the package is missing. */
export const PROM_CLIENT_MISSING = "ROOMCAST_ERR_PROM_CLIENT_MISSING";

function isPromClient(value: unknown): value is PromClient {
  if (typeof value !== "object" || value === null) return false;
  const mod = value as Record<string, unknown>;
  return typeof mod["Registry"] === "function" && typeof mod["Gauge"] === "function" && typeof mod["Counter"] === "function";
}

/**
 * Loads prom-client (resolved from roomcast's own location, as a peer dependency is).
 *
 * @param id - the module to load; tests pass a missing one. Default `"prom-client"`.
 * @throws Error with code `ROOMCAST_ERR_PROM_CLIENT_MISSING` and how to fix it, when the
 *   package cannot be loaded or is not prom-client.
 */
export function loadPromClient(id = "prom-client"): PromClient {
  let mod: unknown;
  try {
    mod = createRequire(import.meta.url)(id);
  } catch (cause) {
    throw Object.assign(
      new Error(`roomcast: the metrics option (path or register) needs the "${id}" package, which could not be loaded: npm install prom-client`, { cause }),
      { code: PROM_CLIENT_MISSING },
    );
  }
  if (!isPromClient(mod)) {
    throw Object.assign(new Error(`roomcast: "${id}" does not look like prom-client (no Registry, Gauge and Counter)`), { code: PROM_CLIENT_MISSING });
  }
  return mod;
}
