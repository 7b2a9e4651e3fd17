/**
 * A hand-written SVG chart: panels of grouped bars (roomcast vs socket.io, plus the bare floor
 * server when it ran), each group labelled with the ratio roomcast / socket.io (green or red
 * against the group's target, when it has one), and, under its label, bare / socket.io and
 * roomcast / floor (green or red against the group's floor goal, when it has one).
 */

/** One group of bars (one scenario or case). */
export interface ChartGroup {
  label: string;
  roomcast: number;
  socketio: number;
  /** The bare floor server (bench/fanout/bare-server.ts); a third bar when finite. */
  bare?: number;
  /** The ratio roomcast / socket.io must not exceed (colours the ratio label). */
  target?: number;
  /** The ratio roomcast / bare must not exceed (colours the roomcast / floor label). */
  floorGoal?: number;
}

/** One panel: a title, a unit for the y axis, and its groups. */
export interface ChartPanel {
  title: string;
  unit: string;
  groups: ChartGroup[];
}

const WIDTH = 820;
const PANEL_HEIGHT = 270;
const LEFT = 70;
const RIGHT = 20;
const TOP = 58;
const PLOT_HEIGHT = 160;
/** The palette every benchmark chart uses. */
export const COLORS = { roomcast: "#2563eb", socketio: "#9ca3af", bare: "#f59e0b", good: "#15803d", bad: "#b91c1c", text: "#111827" };

/** Escapes text for SVG. */
export function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The smallest "round" axis maximum (1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8 × 10^k) not below `value`. */
export function niceCeil(value: number): number {
  if (!(value > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10]) if (m * exp >= value) return m * exp;
  return 10 * exp;
}

/** An axis tick: no trailing zeros. */
export function tick(value: number): string {
  return String(Number(value.toPrecision(4)));
}

function num(value: number): string {
  if (!Number.isFinite(value)) return "—";
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function panelSvg(panel: ChartPanel, y0: number): string {
  const out: string[] = [];
  const plotWidth = WIDTH - LEFT - RIGHT;
  const max = niceCeil(Math.max(0, ...panel.groups.flatMap((g) => [g.roomcast, g.socketio, g.bare ?? Number.NaN].filter(Number.isFinite))));
  const yOf = (v: number): number => y0 + TOP + PLOT_HEIGHT - (Math.max(0, v) / max) * PLOT_HEIGHT;
  out.push(`<text x="${LEFT}" y="${y0 + 22}" font-size="15" font-weight="bold" fill="${COLORS.text}">${esc(panel.title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = yOf(v);
    out.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${LEFT - 6}" y="${y + 4}" font-size="11" text-anchor="end" fill="#6b7280">${tick(v)}</text>`);
  }
  out.push(
    `<text x="16" y="${y0 + TOP + PLOT_HEIGHT / 2}" font-size="11" fill="#6b7280" transform="rotate(-90 16 ${y0 + TOP + PLOT_HEIGHT / 2})" text-anchor="middle">${esc(panel.unit)}</text>`,
  );
  const slot = plotWidth / Math.max(1, panel.groups.length);
  const withBare = panel.groups.some((g) => Number.isFinite(g.bare ?? Number.NaN));
  const bar = Math.min(38, slot / (withBare ? 4 : 3));
  panel.groups.forEach((g, i) => {
    const cx = LEFT + slot * i + slot / 2;
    const bars: [number, string][] = [
      [g.roomcast, COLORS.roomcast],
      [g.socketio, COLORS.socketio],
    ];
    if (withBare) bars.push([g.bare ?? Number.NaN, COLORS.bare]);
    bars.forEach(([v, color], j) => {
      const x = cx - (bars.length * bar) / 2 + j * bar;
      if (Number.isFinite(v)) {
        const y = yOf(v);
        out.push(`<rect x="${x + 2}" y="${y}" width="${bar - 4}" height="${y0 + TOP + PLOT_HEIGHT - y}" fill="${color}"/>`);
        out.push(`<text x="${x + bar / 2}" y="${y - 4}" font-size="10" text-anchor="middle" fill="${COLORS.text}">${num(v)}</text>`);
      }
    });
    const r = g.roomcast / g.socketio;
    if (Number.isFinite(r)) {
      const color = g.target === undefined ? COLORS.text : r <= g.target ? COLORS.good : COLORS.bad;
      const target = g.target === undefined ? "" : ` (≤${g.target})`;
      out.push(
        `<text x="${cx}" y="${y0 + TOP - 22}" font-size="12" font-weight="bold" text-anchor="middle" fill="${color}">${r.toFixed(2)}×${esc(target)}</text>`,
      );
    }
    out.push(`<text x="${cx}" y="${y0 + TOP + PLOT_HEIGHT + 16}" font-size="11" text-anchor="middle" fill="${COLORS.text}">${esc(g.label)}</text>`);
    const floor = (g.bare ?? Number.NaN) / g.socketio;
    if (Number.isFinite(floor)) {
      out.push(`<text x="${cx}" y="${y0 + TOP + PLOT_HEIGHT + 30}" font-size="10" text-anchor="middle" fill="#6b7280">bare / socket.io ${floor.toFixed(2)}×</text>`);
    }
    const overFloor = g.roomcast / (g.bare ?? Number.NaN);
    if (Number.isFinite(overFloor)) {
      const color = g.floorGoal === undefined ? "#6b7280" : overFloor <= g.floorGoal ? COLORS.good : COLORS.bad;
      const goal = g.floorGoal === undefined ? "" : ` (≤${g.floorGoal})`;
      out.push(
        `<text x="${cx}" y="${y0 + TOP + PLOT_HEIGHT + 43}" font-size="10" text-anchor="middle" fill="${color}">roomcast / floor ${overFloor.toFixed(2)}×${esc(goal)}</text>`,
      );
    }
  });
  return out.join("\n");
}

/**
 * Renders `panels` stacked vertically under `title`, with a legend.
 *
 * @example
 * renderChart("fan-out", [{ title: "CPU", unit: "µs/msg", groups: [{ label: "a", roomcast: 3, socketio: 6, bare: 2.9, floorGoal: 1.05 }] }]);
 */
export function renderChart(title: string, panels: ChartPanel[], subtitle = ""): string {
  const header = 56;
  const withBare = panels.some((p) => p.groups.some((g) => Number.isFinite(g.bare ?? Number.NaN)));
  const height = header + panels.length * PANEL_HEIGHT;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="24" font-size="17" font-weight="bold" fill="${COLORS.text}">${esc(title)}</text>`,
    `<text x="${LEFT}" y="42" font-size="11" fill="#6b7280">${esc(subtitle)}</text>`,
    `<rect x="${WIDTH - 250}" y="12" width="12" height="12" fill="${COLORS.roomcast}"/>`,
    `<text x="${WIDTH - 234}" y="22" font-size="12" fill="${COLORS.text}">roomcast</text>`,
    `<rect x="${WIDTH - 160}" y="12" width="12" height="12" fill="${COLORS.socketio}"/>`,
    `<text x="${WIDTH - 144}" y="22" font-size="12" fill="${COLORS.text}">socket.io</text>`,
    `<text x="${WIDTH - 250}" y="40" font-size="10" fill="#6b7280">ratio = roomcast / socket.io (lower is better)</text>`,
  ];
  if (withBare) {
    parts.push(
      `<rect x="${WIDTH - 330}" y="12" width="12" height="12" fill="${COLORS.bare}"/>`,
      `<text x="${WIDTH - 314}" y="22" font-size="12" fill="${COLORS.text}">bare</text>`,
    );
  }
  panels.forEach((p, i) => parts.push(panelSvg(p, header + i * PANEL_HEIGHT)));
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
