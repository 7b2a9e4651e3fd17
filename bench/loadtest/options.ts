/**
 * The command line of `npm run loadtest`: parsing, defaults, and the hard caps that keep a run
 * bounded in size and time whatever is typed.
 */
import { parseArgs } from "node:util";

/** Hard caps: a value above one is refused, not clamped, so a run never does more than asked. */
export const CAPS = {
  clients: 50_000,
  durationS: 3_600,
  rate: 100_000,
  ramp: 20_000,
  payload: 65_536,
  connectTimeoutS: 120,
  drainS: 60,
} as const;

/** Everything a run needs, validated. */
export interface LoadTestOptions {
  /** The URL as given. */
  url: string;
  /** The server's origin and Engine.IO path, e.g. `http://127.0.0.1:3000/socket.io/`. */
  engineUrl: URL;
  /** The Socket.IO namespace, from the URL's path (`/` when none). */
  nsp: string;
  clients: number;
  /** Rooms the clients are spread over, round robin; 0 = connect only, no join. */
  rooms: number;
  roomPrefix: string;
  joinEvent: string;
  joinAck: boolean;
  messageEvent: string;
  /** Messages per second, all senders together; 0 = no traffic. */
  rate: number;
  /** Length of the traffic (or hold) phase, in seconds. */
  durationS: number;
  /** New connections per second during the ramp. */
  ramp: number;
  transport: "websocket" | "polling";
  /** Length of each message text, in characters (at least the stamp's). */
  payload: number;
  auth: object | undefined;
  connectTimeoutS: number;
  /** After the last message, how long deliveries may still arrive, in seconds. */
  drainS: number;
  json: boolean;
  quiet: boolean;
}

/** A usage error: the message is for the user, the exit code is 2. */
export class UsageError extends Error {}

/** The `--help` text. */
export const HELP = `Usage: npm run loadtest -- --url http://host:port[/namespace] [options]

Opens N raw Socket.IO v5 clients (WebSocket or long-polling) against any Socket.IO v5 server,
joins them to rooms, has them send stamped messages that the server relays to their room, and
reports connect rate and times, errors, receive rate, latency percentiles and bytes.
Works out of the box against \`npm start\` (the chat demo). Stops by itself.

Target
  --url URL               http:// or https:// only; the path is the namespace (default /)
  --path PATH             Engine.IO path on the server (default /socket.io/)
  --transport T           websocket | polling (default websocket)
  --auth JSON             CONNECT payload, e.g. '{"token":"…"}'

Clients
  --clients N             clients to open (default 100, max ${CAPS.clients}; also capped by ulimit -n)
  --ramp N                new connections per second (default 1000, max ${CAPS.ramp})
  --connect-timeout S     seconds for one client's connect + join (default 10, max ${CAPS.connectTimeoutS})
  --rooms R               rooms, clients spread round robin (default 1; 0 = only connect)
  --room-prefix P         room names are P0 … P(R-1) (default loadtest-)
  --join-event E          event emitted with the room name to join (default join)
  --no-join-ack           do not ask for an ack of the join (the server does not acknowledge)

Traffic
  --rate N                messages per second, all clients together, round robin
                          (default 10 when there are rooms; 0 = connect and hold; max ${CAPS.rate})
  --message-event E       event the senders emit with the stamped text (default "chat message")
  --payload B             bytes of each message text, ASCII (default 64; at least the stamp, ~40)
  --duration S            seconds of traffic, or of holding the connections (default 10, max ${CAPS.durationS})
  --drain S               after the last message, at most S seconds for deliveries in flight (default 5, max ${CAPS.drainS})

Output
  --json                  the report as JSON on stdout (progress stays on stderr)
  --quiet                 no progress lines on stderr
  --help                  this text

The server must relay each message to the sender's room: when a client emits
<message-event>(text), the other members of its room must receive an event whose arguments
contain text unchanged (wrapped in an object is fine). See README.md, "Load testing".
Exit codes: 0 the run completed (see the report for errors), 1 the target could not be reached
or nothing connected, 2 bad arguments or limits, 130 interrupted (partial report printed).`;

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${raw}`);
  }
  return value;
}

function positive(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max) throw new UsageError(`--${name} must be a number above 0 and at most ${max}, got ${raw}`);
  return value;
}

function eventName(name: string, raw: string | undefined, fallback: string): string {
  const value = raw ?? fallback;
  if (value.length === 0 || value.length > 100) throw new UsageError(`--${name} must be 1 to 100 characters`);
  return value;
}

/** Parses and checks the target URL: http(s) only; its path names the namespace. */
export function parseTarget(raw: string, path: string): { engineUrl: URL; nsp: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url is not a URL: ${raw}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--url must be http:// or https:// (the load test upgrades to WebSocket itself), got ${url.protocol}//`);
  }
  if (url.username !== "" || url.password !== "") throw new UsageError("--url must not carry credentials; use --auth for the CONNECT payload");
  const nsp = url.pathname === "" || url.pathname === "/" ? "/" : url.pathname.replace(/\/+$/, "");
  if (!path.startsWith("/")) throw new UsageError(`--path must start with /, got ${path}`);
  const engineUrl = new URL(url.origin);
  engineUrl.pathname = path.endsWith("/") ? path : `${path}/`;
  return { engineUrl, nsp };
}

/** Parses argv (without node and the script); throws {@link UsageError} on anything wrong. */
export function parseOptions(argv: readonly string[]): LoadTestOptions | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: "string" },
        path: { type: "string" },
        transport: { type: "string" },
        auth: { type: "string" },
        clients: { type: "string" },
        ramp: { type: "string" },
        "connect-timeout": { type: "string" },
        rooms: { type: "string" },
        "room-prefix": { type: "string" },
        "join-event": { type: "string" },
        "no-join-ack": { type: "boolean" },
        rate: { type: "string" },
        "message-event": { type: "string" },
        payload: { type: "string" },
        duration: { type: "string" },
        drain: { type: "string" },
        json: { type: "boolean" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help === true) return "help";
  if (v.url === undefined) throw new UsageError("--url is required, e.g. --url http://localhost:3000");
  const { engineUrl, nsp } = parseTarget(v.url, v.path ?? "/socket.io/");

  const transport = v.transport ?? "websocket";
  if (transport !== "websocket" && transport !== "polling") throw new UsageError(`--transport must be websocket or polling, got ${transport}`);
  let auth: object | undefined;
  if (v.auth !== undefined) {
    try {
      auth = JSON.parse(v.auth) as object;
    } catch {
      throw new UsageError("--auth must be JSON");
    }
    if (auth === null || typeof auth !== "object" || Array.isArray(auth)) throw new UsageError("--auth must be a JSON object");
  }

  const clients = integer("clients", v.clients, 100, 1, CAPS.clients);
  const rooms = integer("rooms", v.rooms, 1, 0, clients);
  const rate = v.rate === undefined ? (rooms > 0 ? 10 : 0) : Number(v.rate);
  if (!Number.isFinite(rate) || rate < 0 || rate > CAPS.rate) throw new UsageError(`--rate must be a number from 0 to ${CAPS.rate}, got ${v.rate}`);
  if (rate > 0 && rooms === 0) throw new UsageError("--rate needs rooms: messages are relayed to the sender's room (drop --rooms 0, or use --rate 0)");
  const roomPrefix = v["room-prefix"] ?? "loadtest-";
  if (roomPrefix.length > 64) throw new UsageError("--room-prefix must be at most 64 characters");

  return {
    url: v.url,
    engineUrl,
    nsp,
    clients,
    rooms,
    roomPrefix,
    joinEvent: eventName("join-event", v["join-event"], "join"),
    joinAck: v["no-join-ack"] !== true,
    messageEvent: eventName("message-event", v["message-event"], "chat message"),
    rate,
    durationS: positive("duration", v.duration, 10, CAPS.durationS),
    ramp: positive("ramp", v.ramp, 1000, CAPS.ramp),
    transport,
    payload: integer("payload", v.payload, 64, 1, CAPS.payload),
    auth,
    connectTimeoutS: positive("connect-timeout", v["connect-timeout"], 10, CAPS.connectTimeoutS),
    drainS: positive("drain", v.drain, 5, CAPS.drainS),
    json: v.json === true,
    quiet: v.quiet === true,
  };
}
