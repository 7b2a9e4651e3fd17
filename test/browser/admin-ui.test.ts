/**
 * [compat] The admin UI that `@socket.io/admin-ui` ships (its built `ui/dist`), served on
 * localhost next to a roomcast server instrumented with `instrument(io, …)`, in headless
 * Chromium: it connects to roomcast's `/admin` namespace and shows the right sockets,
 * transports, rooms and namespaces for a few clients, live.
 */
import { readFile } from "node:fs/promises";
import http from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { instrument } from "@socket.io/admin-ui";
import type { Server as SocketIoServer } from "socket.io";
import type { BrowserContext, Page } from "playwright-core";
import { afterEach, expect, it } from "vitest";
import { Server } from "../../src/index.ts";
import { cleanup, connectPair, onCleanup, type Pair } from "../support/harness.ts";
import { describeInChromium } from "./support/chromium.ts";
import { listenLocal, type Listening } from "./support/page-server.ts";

afterEach(cleanup);

const require = createRequire(import.meta.url);
/** The UI's build, as the package ships it. */
const UI_DIST = path.join(path.dirname(require.resolve("@socket.io/admin-ui/package.json")), "ui", "dist");
const TYPES: Readonly<Record<string, string>> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml" };

/** Serves the UI's files (and nothing outside its directory). */
async function serveUi(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
  const file = path.normalize(path.join(UI_DIST, pathname === "/" ? "index.html" : decodeURIComponent(pathname)));
  if (!file.startsWith(UI_DIST + path.sep)) {
    res.writeHead(404).end();
    return;
  }
  try {
    const body = await readFile(file);
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" }).end(body);
  } catch {
    res.writeHead(404).end();
  }
}

/** roomcast and the UI on one origin; `instrument` with `opts`. */
async function start(opts: Parameters<typeof instrument>[1]): Promise<{ io: Server; site: Listening }> {
  const httpServer = http.createServer((req, res) => void serveUi(req, res));
  const io = new Server(httpServer);
  io.on("connection", (socket) => {
    socket.on("join", (rooms: string[], ack: () => void) => void Promise.resolve(socket.join(rooms)).then(ack));
  });
  io.of("/chat");
  instrument(io as unknown as SocketIoServer, opts);
  const site = await listenLocal(httpServer);
  onCleanup(async () => {
    await io.close();
    await site.close();
  });
  return { io, site };
}

/** Opens the UI with only the site's own origin reachable (it links fonts and icons from CDNs). */
async function openUi(context: BrowserContext, origin: string, settings: Record<string, string> | null, hash: string): Promise<Page> {
  await context.route("**/*", (route) => (route.request().url().startsWith(origin) ? route.continue() : route.abort()));
  const page = await context.newPage();
  // The UI reconnects on load to the server saved in localStorage (as after a first login).
  // In-page code is passed as a string: it runs in the browser (no DOM types here).
  if (settings !== null) {
    await page.addInitScript({ content: `for (const [k, v] of Object.entries(${JSON.stringify(settings)})) localStorage.setItem(k, v);` });
  }
  await page.goto(`${origin}/${hash}`);
  return page;
}

/** The rows of the tables matched by `selector` (tbody rows), each as the texts of its cells. */
function cells(page: Page, selector: string): Promise<string[][]> {
  return page.evaluate(`Array.from(document.querySelectorAll(${JSON.stringify(`${selector} tbody tr`)}),
    (row) => Array.from(row.querySelectorAll("td"), (td) => (td.textContent || "").trim()))`) as Promise<string[][]>;
}

/** The rows of the page's data table. */
function tableRows(page: Page): Promise<string[][]> {
  return cells(page, ".v-data-table");
}

/** Waits until the table has exactly the rows whose first cells are `keys`, then returns them sorted. */
async function rowsFor(page: Page, keys: string[]): Promise<string[][]> {
  const want = [...keys].sort();
  await expect.poll(async () => (await tableRows(page)).map((r) => r[0] ?? "").sort(), { timeout: 15_000 }).toEqual(want);
  return (await tableRows(page)).sort((a, b) => (a[0] ?? "").localeCompare(b[0] ?? ""));
}

async function clients(site: Listening, io: Server): Promise<{ a: Pair; b: Pair; c: Pair }> {
  const a = await connectPair(io, site.origin);
  await a.client.emitWithAck("join", ["red"]);
  const b = await connectPair(io, site.origin, { transports: ["polling"] });
  await b.client.emitWithAck("join", ["red", "blue"]);
  const c = await connectPair(io.of("/chat"), `${site.origin}/chat`);
  return { a, b, c };
}

describeInChromium("[compat] the admin UI of @socket.io/admin-ui on roomcast", (chrome) => {
  it("lists roomcast's sockets with their transports and rooms with their sizes, and follows a new client live", async () => {
    const { io, site } = await start({ auth: false, mode: "development" });
    const { a, b } = await clients(site, io);
    const settings = { server_url: site.origin, ws_only: "false", path: "/socket.io", namespace: "/admin" };
    const page = await openUi(chrome.context(), site.origin, settings, "#/sockets/");

    // The main namespace is selected: its two sockets, each with its transport.
    const rows = await rowsFor(page, [a.server.id, b.server.id]);
    const transportOf = new Map(rows.map((r) => [r[0], r[2]]));
    expect(transportOf.get(a.server.id)).toBe("WebSocket");
    expect(transportOf.get(b.server.id)).toBe("HTTP long-polling");

    // A third client appears without reloading.
    const d = await connectPair(io, site.origin);
    await rowsFor(page, [a.server.id, b.server.id, d.server.id]);

    // Rooms (the named ones): red holds a and b, blue holds b.
    await page.goto(`${site.origin}/#/rooms/`);
    const rooms = await rowsFor(page, ["blue", "red"]);
    expect(rooms.map((r) => [r[0], r[2]])).toEqual([
      ["blue", "1"],
      ["red", "2"],
    ]);
  });

  it("logs in with basic authentication and shows the namespaces' socket counts on the dashboard", async () => {
    const hash = "$2a$04$T.dZcHlWsYapOWyChhzK4Oldoa51o.pLLzHdj49Jepfr2aYUfeHV2"; // "s3cret"
    const { io, site } = await start({ auth: { type: "basic", username: "admin", password: hash }, mode: "production" });
    await clients(site, io);
    const page = await openUi(chrome.context(), site.origin, null, "#/");

    await page.getByLabel("Server URL").fill(site.origin);
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("s3cret");
    await page.getByRole("button", { name: "Connect" }).click();

    // The namespaces card (the only table whose first cells are <code>): "/" 2, "/admin" 1 (the
    // UI itself), "/chat" 1, from server_stats.
    const namespaces = async (): Promise<string[][]> => (await cells(page, ".v-card .v-data-table")).filter((r) => r[0]?.startsWith("/"));
    await expect.poll(async () => (await namespaces()).sort(), { timeout: 15_000 }).toEqual([
      ["/", "2"],
      ["/admin", "1"],
      ["/chat", "1"],
    ]);
  });
});
