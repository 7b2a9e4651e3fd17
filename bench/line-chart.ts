/**
 * A hand-written SVG line chart in the style of chart.ts: panels stacked vertically, each with
 * one line per series (y on a log scale, so low-load latencies stay readable next to saturated
 * ones), every point marked and labelled.
 */
import { COLORS, esc, niceCeil, tick } from "./chart.ts";
import { fmtRate } from "./stats.ts";

/** One point; `label` is written next to it (e.g. the load level). */
export interface LinePoint {
  x: number;
  y: number;
  label?: string;
}

/** One line. */
export interface LineSeries {
  name: string;
  color: string;
  points: LinePoint[];
}

/** One panel: a title, axis units, and its lines. */
export interface LinePanel {
  title: string;
  xUnit: string;
  yUnit: string;
  series: LineSeries[];
}

const WIDTH = 820;
const PANEL_HEIGHT = 300;
const LEFT = 70;
const RIGHT = 30;
const TOP = 40;
const PLOT_HEIGHT = 210;
/** The smallest y shown on the log scale (1 µs): a 0 ms latency sits on the axis. */
const MIN_Y = 0.001;

/** Log-scale ticks: 1, 2 and 5 per decade between `lo` and `hi`. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(Number(v.toPrecision(3)));
    }
  }
  return out;
}

function panelSvg(panel: LinePanel, y0: number): string {
  const out: string[] = [];
  const plotWidth = WIDTH - LEFT - RIGHT;
  const points = panel.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const xMax = niceCeil(Math.max(0, ...points.map((p) => p.x)));
  const ys = points.map((p) => Math.max(MIN_Y, p.y));
  const lo = 10 ** Math.floor(Math.log10(Math.min(...ys, 1e9)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(lo * 10, ...ys)));
  const xOf = (x: number): number => LEFT + (x / xMax) * plotWidth;
  const yOf = (y: number): number => {
    const t = (Math.log10(Math.max(MIN_Y, y)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo));
    return y0 + TOP + PLOT_HEIGHT - t * PLOT_HEIGHT;
  };
  out.push(`<text x="${LEFT}" y="${y0 + 22}" font-size="15" font-weight="bold" fill="${COLORS.text}">${esc(panel.title)}</text>`);
  for (const v of logTicks(lo, hi)) {
    const y = yOf(v);
    out.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${LEFT - 6}" y="${y + 4}" font-size="11" text-anchor="end" fill="#6b7280">${tick(v)}</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const v = (xMax * i) / 4;
    const x = xOf(v);
    out.push(`<line x1="${x}" x2="${x}" y1="${y0 + TOP}" y2="${y0 + TOP + PLOT_HEIGHT}" stroke="#f3f4f6"/>`);
    out.push(`<text x="${x}" y="${y0 + TOP + PLOT_HEIGHT + 16}" font-size="11" text-anchor="middle" fill="#6b7280">${fmtRate(v)}</text>`);
  }
  const midY = y0 + TOP + PLOT_HEIGHT / 2;
  out.push(`<text x="16" y="${midY}" font-size="11" fill="#6b7280" transform="rotate(-90 16 ${midY})" text-anchor="middle">${esc(panel.yUnit)} (log scale)</text>`);
  out.push(`<text x="${LEFT + plotWidth / 2}" y="${y0 + TOP + PLOT_HEIGHT + 34}" font-size="11" text-anchor="middle" fill="#6b7280">${esc(panel.xUnit)}</text>`);
  for (const s of panel.series) {
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    if (pts.length === 0) continue;
    const path = pts.map((p) => `${xOf(p.x).toFixed(1)},${yOf(p.y).toFixed(1)}`).join(" ");
    out.push(`<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    for (const p of pts) {
      const x = xOf(p.x);
      const y = yOf(p.y);
      out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3.5" fill="${s.color}"/>`);
      if (p.label !== undefined) {
        out.push(`<text x="${(x + 5).toFixed(1)}" y="${(y - 6).toFixed(1)}" font-size="9" fill="${s.color}">${esc(p.label)}</text>`);
      }
    }
  }
  return out.join("\n");
}

/**
 * Renders `panels` stacked vertically under `title`, with a legend of the first panel's series.
 *
 * @example
 * renderLineChart("latency", [{ title: "p99", xUnit: "msgs/s", yUnit: "ms", series: [{ name: "roomcast", color: "#2563eb", points: [{ x: 1e4, y: 0.8 }] }] }]);
 */
export function renderLineChart(title: string, panels: LinePanel[], subtitle = ""): string {
  const header = 56;
  const height = header + panels.length * PANEL_HEIGHT;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="24" font-size="17" font-weight="bold" fill="${COLORS.text}">${esc(title)}</text>`,
    `<text x="${LEFT}" y="42" font-size="11" fill="#6b7280">${esc(subtitle)}</text>`,
  ];
  const legend = panels[0]?.series ?? [];
  let x = WIDTH - RIGHT;
  for (const s of [...legend].reverse()) {
    x -= 30 + s.name.length * 7.2;
    parts.push(
      `<rect x="${x.toFixed(0)}" y="12" width="12" height="12" fill="${s.color}"/>`,
      `<text x="${(x + 16).toFixed(0)}" y="22" font-size="12" fill="${COLORS.text}">${esc(s.name)}</text>`,
    );
  }
  panels.forEach((p, i) => parts.push(panelSvg(p, header + i * PANEL_HEIGHT)));
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
