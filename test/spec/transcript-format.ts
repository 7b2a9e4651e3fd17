/**
 * The transcript format of spec/*.md: parsing fenced ```transcript blocks into steps.
 * The format itself is documented in spec/README.md ("The transcript format"); this file is its
 * only reader, and it refuses anything it does not understand, with the file and line.
 */

/** One replayable block. */
export interface Transcript {
  /** Path of the markdown file, as given to the parser. */
  file: string;
  /** Line of the opening fence (1-based). */
  line: number;
  /** The rule it illustrates, brackets included, e.g. `[SIO5:event-payload]`. */
  tag: string;
  /** Name of the server fixture it runs against (`server=`). */
  fixture: string;
  /** Capabilities it needs (`needs=polling`). */
  needs: string[];
  steps: Step[];
}

interface At {
  /** Line in the markdown file (1-based). */
  line: number;
  /** Connection the step belongs to ("" when unnamed). */
  channel: string;
}

/** One line of a transcript, resolved. */
export type Step =
  | (At & { kind: "ws-open"; path: string })
  | (At & { kind: "http-request"; method: string; path: string; body: string[] })
  | (At & { kind: "send-text"; text: string })
  | (At & { kind: "send-binary"; bytes: Buffer })
  | (At & { kind: "expect-status"; status: number; body: string[] })
  | (At & { kind: "expect-text"; text: string })
  | (At & { kind: "expect-binary"; bytes: Buffer })
  | (At & { kind: "expect-close"; code: number | undefined });

/** A transcript that breaks the format: the message says where. */
export class TranscriptSyntaxError extends Error {
  override readonly name = "TranscriptSyntaxError";
}

const HTTP_METHODS: ReadonlySet<string> = new Set(["GET", "POST", "PUT", "OPTIONS", "DELETE"]);
const TAG = /^\[(EIO4|SIO5):[a-z0-9]+(?:-[a-z0-9]+)*\]$/;
const LINE = /^(client|server)(-binary)?(?:\[([a-z0-9-]+)\])?:(?: (.*))?$/;
/** `<name>` placeholders; `<any>` is the only one that never captures. */
export const PLACEHOLDER = /<([a-z][a-z0-9-]*)>/g;
/** Any opening fence whose info string starts with "transcript", however it is written. */
const LOOSE_FENCE = /^[ \t]*(?:`{3,}|~{3,})[ \t]*transcript/i;
const FENCE = /^(`{3,})transcript(?:[ \t]+(.*))?$/;

/**
 * Counts the transcript fences in a markdown text with a deliberately looser pattern than the
 * parser's, so a block the parser would not recognise (indented, tilde fence, odd case) shows up
 * as a difference between this count and the number of parsed transcripts.
 */
export function countTranscriptFences(markdown: string): number {
  return markdown.split("\n").filter((l) => LOOSE_FENCE.test(l)).length;
}

/**
 * Extracts and parses every transcript block of a markdown file.
 *
 * @throws TranscriptSyntaxError on the first malformed block.
 */
export function parseTranscripts(file: string, markdown: string): Transcript[] {
  const lines = markdown.split("\n");
  const out: Transcript[] = [];
  let fence: string | null = null; // the closing marker of any open (non-transcript) fence
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? "";
    if (fence !== null) {
      if (text.trim() === fence) fence = null;
      continue;
    }
    const open = FENCE.exec(text);
    if (open) {
      const marker = open[1] ?? "```";
      const end = lines.findIndex((l, j) => j > i && l.trim() === marker);
      if (end === -1) throw new TranscriptSyntaxError(`${file}:${i + 1}: transcript block is never closed`);
      out.push(parseBlock(file, i + 1, open[2] ?? "", lines.slice(i + 1, end)));
      i = end;
      continue;
    }
    const other = /^[ \t]*(`{3,}|~{3,})/.exec(text);
    if (other) fence = other[1] ?? null;
  }
  return out;
}

interface ChannelState {
  kind: "ws" | "http";
  /** ws: the 101 (or refusal) is still to be read. http: responses still to be read. */
  pendingStatus: number;
  /** ws: refused or closed; nothing more may happen on it. */
  over: boolean;
}

/** What indented lines below a step extend: a request body or an expected response body. */
interface BodyOwner {
  body: string[];
  fromClient: boolean;
  /** The expected status, for a response body. */
  status?: number;
}

function parseBlock(file: string, fenceLine: number, info: string, lines: string[]): Transcript {
  const fail = (line: number, msg: string): never => {
    throw new TranscriptSyntaxError(`${file}:${line}: ${msg}`);
  };
  const [tag = "", ...options] = info.trim().split(/\s+/);
  if (!TAG.test(tag)) fail(fenceLine, `the info string must start with a rule tag like [SIO5:ack], got "${tag}"`);
  let fixture = "";
  const needs: string[] = [];
  for (const option of options) {
    const [key, value = ""] = option.split("=", 2);
    if (key === "server" && value !== "") fixture = value;
    else if (key === "needs" && value !== "") needs.push(...value.split(","));
    else fail(fenceLine, `unknown info option "${option}" (known: server=<fixture>, needs=polling)`);
  }
  if (fixture === "") fail(fenceLine, "the info string must name its fixture: server=<name>");

  const block = new BlockParser(fail);
  let bodyOwner: BodyOwner | null = null;
  for (let index = 0; index < lines.length; index++) {
    const text = lines[index] ?? "";
    const line = fenceLine + 1 + index;
    if (text.trim() === "" || text.startsWith("#")) continue;
    if (/^\s/.test(text)) {
      if (bodyOwner === null) return fail(line, "an indented line continues a request or status line, and there is none above");
      if (bodyOwner.status === 101) return fail(line, "a 101 has no body: the frames that follow are server: lines");
      block.checkPlaceholders(text, bodyOwner.fromClient, line);
      bodyOwner.body.push(text.trim());
      continue;
    }
    bodyOwner = block.line(text, line);
  }
  block.finish(fenceLine);
  return { file, line: fenceLine, tag, fixture, needs, steps: block.steps };
}

/** Reads a block's lines in order, tracking each connection's state to refuse impossible steps. */
class BlockParser {
  readonly steps: Step[] = [];
  private readonly channels = new Map<string, ChannelState>();
  private readonly bound = new Set<string>();

  constructor(private readonly fail: (line: number, msg: string) => never) {}

  /** Parses one non-indented line; returns what following indented lines extend, if anything. */
  line(text: string, line: number): BodyOwner | null {
    const m = LINE.exec(text);
    if (!m) return this.fail(line, `not a transcript line: "${text}" (expected client: / server: / client-binary: …)`);
    const [, who, binary, name = "", rest = ""] = m;
    this.checkPlaceholders(rest, who === "client", line);
    return who === "client"
      ? this.clientLine(rest, binary !== undefined, name, line)
      : this.serverLine(rest, binary !== undefined, name, line);
  }

  /** Fails when a request's answer was never read (it would otherwise be silently ignored). */
  finish(fenceLine: number): void {
    for (const [name, state] of this.channels) {
      if (state.kind === "http" && state.pendingStatus > 0) {
        this.fail(fenceLine, `${label(name)} has ${state.pendingStatus} request(s) whose answer the transcript never reads`);
      }
    }
    if (this.steps.length === 0) this.fail(fenceLine, "empty transcript");
  }

  private clientLine(rest: string, binary: boolean, channel: string, line: number): BodyOwner | null {
    const state = this.channels.get(channel);
    const at = { line, channel };
    const command = binary ? null : /^([A-Z]+) (\/\S*)$/.exec(rest);
    if (command?.[1] === "WS") {
      if (state !== undefined) this.fail(line, `${label(channel)} is already in use; name a new one, e.g. client[ws2]:`);
      this.channels.set(channel, { kind: "ws", pendingStatus: 1, over: false });
      this.steps.push({ ...at, kind: "ws-open", path: command[2] ?? "/" });
      return null;
    }
    if (command && HTTP_METHODS.has(command[1] ?? "")) {
      if (state?.kind === "ws") this.fail(line, `${label(channel)} is a WebSocket; HTTP requests need a connection of their own`);
      const http = state ?? { kind: "http", pendingStatus: 0, over: false };
      http.pendingStatus++;
      this.channels.set(channel, http);
      const body: string[] = [];
      this.steps.push({ ...at, kind: "http-request", method: command[1] ?? "GET", path: command[2] ?? "/", body });
      return { body, fromClient: true };
    }
    if (state?.kind !== "ws" || state.pendingStatus > 0 || state.over) {
      return this.fail(line, `${label(channel)} is not an open WebSocket (open one with "client: WS /path", then read "server: 101")`);
    }
    this.steps.push(binary ? { ...at, kind: "send-binary", bytes: parseHex(rest, line, this.fail) } : { ...at, kind: "send-text", text: rest });
    return null;
  }

  private serverLine(rest: string, binary: boolean, channel: string, line: number): BodyOwner | null {
    const state = this.channels.get(channel);
    const at = { line, channel };
    if (state === undefined) return this.fail(line, `${label(channel)} was never opened by a client line`);
    if (state.pendingStatus > 0) {
      const status = /^(\d{3})$/.exec(rest);
      if (binary || !status) return this.fail(line, `${label(channel)} is waiting for an HTTP status line, like "server: 200"`);
      state.pendingStatus--;
      const code = Number(status[1]);
      if (state.kind === "ws" && code !== 101) state.over = true;
      const body: string[] = [];
      this.steps.push({ ...at, kind: "expect-status", status: code, body });
      return { body, fromClient: false, status: code };
    }
    if (state.kind === "http") return this.fail(line, `${label(channel)} has no request waiting for an answer`);
    if (state.over) return this.fail(line, `${label(channel)} is already closed`);
    const close = binary ? null : /^close(?: (\d{4}))?$/.exec(rest);
    if (close) {
      state.over = true;
      this.steps.push({ ...at, kind: "expect-close", code: close[1] === undefined ? undefined : Number(close[1]) });
    } else {
      this.steps.push(binary ? { ...at, kind: "expect-binary", bytes: parseHex(rest, line, this.fail) } : { ...at, kind: "expect-text", text: rest });
    }
    return null;
  }

  /** Client lines may only use placeholders captured earlier; server lines capture new ones. */
  checkPlaceholders(text: string, fromClient: boolean, line: number): void {
    for (const [, name = ""] of text.matchAll(PLACEHOLDER)) {
      if (name === "any") {
        if (fromClient) this.fail(line, "<any> only makes sense in what the server sends");
      } else if (fromClient && !this.bound.has(name)) {
        this.fail(line, `<${name}> is used before a server line captured it`);
      } else {
        this.bound.add(name);
      }
    }
  }
}

function label(channel: string): string {
  return channel === "" ? "the unnamed connection" : `connection [${channel}]`;
}

function parseHex(text: string, line: number, fail: (line: number, msg: string) => never): Buffer {
  const digits = text.replace(/\s+/g, "");
  if (digits.length === 0 || !/^(?:[0-9a-f]{2})+$/i.test(digits)) {
    fail(line, `binary frames are written as hex byte pairs ("01 02 ff"), got "${text}"`);
  }
  return Buffer.from(digits, "hex");
}
