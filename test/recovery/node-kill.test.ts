/**
 * Recovery after the loss of a server: two roomcast servers in their own processes on the real
 * Redis, a client on server A through a TCP proxy; A is killed with SIGKILL (it saves nothing
 * as it dies), the proxy sends the client to B, and the client resumes there with its id, rooms,
 * data as last saved, and what was sent while it was away.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, onCleanup, waitFor, whenConnected } from "../support/harness.ts";
import { redisAvailable, uniqueKey } from "../cluster/support.ts";
import { TcpProxy } from "./proxy.ts";
import { CLIENT_KINDS, namesFrom, recorded } from "./support.ts";

const available = await redisAvailable();

afterEach(cleanup);

interface Message {
  type: string;
  [field: string]: unknown;
}

/** A server process and its IPC messages, taken in order by type. */
class NodeProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  private readonly inbox: Message[] = [];
  private readonly waiters: Array<{ type: string; resolve: (m: Message) => void }> = [];

  constructor(key: string, refreshMs: number) {
    this.child = fork(fileURLToPath(new URL("./support/cluster-node.ts", import.meta.url)), [key, String(refreshMs)], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.exited = new Promise((resolve) => this.child.once("exit", () => resolve()));
    this.child.on("message", (m: Message) => {
      const w = this.waiters.find((x) => x.type === m.type);
      if (w === undefined) return void this.inbox.push(m);
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(m);
    });
    onCleanup(() => this.kill());
  }

  /** The next message of `type` (one already received first). */
  next(type: string): Promise<Message> {
    const at = this.inbox.findIndex((m) => m.type === type);
    if (at >= 0) return Promise.resolve(this.inbox.splice(at, 1)[0] as Message);
    return new Promise((resolve) => this.waiters.push({ type, resolve }));
  }

  /** Asks the server to emit `event` to `room` ("" = everyone) and waits until it did. */
  async emit(room: string, event: string): Promise<void> {
    this.child.send({ cmd: "emit", room, event });
    await this.next("emitted");
  }

  /** SIGKILL, by pid; resolves once it exited. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exited;
  }
}

describe.skipIf(!available).each(CLIENT_KINDS)("recovery after a server is killed, %s client", (_kind, opts) => {
  it("[REDIS:recovery-keys] resumes on another server with id, rooms, data as last saved, and the missed packets", async () => {
    const key = uniqueKey("kill");
    const a = new NodeProcess(key, 200);
    const b = new NodeProcess(key, 200);
    const portA = Number((await a.next("ready")).port);
    const portB = Number((await b.next("ready")).port);
    const proxy = await TcpProxy.start(portA);
    const { client, log, received } = await recorded(`http://127.0.0.1:${proxy.port}`, { ...opts, auth: { user: "alice" } });
    const first = await a.next("connection");
    await client.emitWithAck("join", "game");
    await client.emitWithAck("set", "score", 42);
    // A's writes run in order: the join is in Redis once A's later broadcast reached the client.
    await a.emit("game", "synced");
    await received("synced");
    // `data` is saved by the refresh: two rounds, so one of them started after the change.
    await a.next("refreshed");
    await a.next("refreshed");
    await b.emit("game", "live-from-b");
    await received("live-from-b");

    const gone = waitFor(client, "disconnect");
    await a.kill();
    await gone;
    const mark = log.length;
    await b.emit("game", "missed-1");
    await b.emit("elsewhere", "not-for-it");
    await b.emit("", "missed-2");
    proxy.target = portB;
    client.connect();
    await whenConnected(client);
    const resumed = await b.next("connection");
    expect(resumed.recovered).toBe(true);
    expect(client.recovered).toBe(true);
    expect(resumed.id).toBe(first.id);
    expect(client.id).toBe(first.id);
    expect((resumed.rooms as string[]).sort()).toEqual([String(first.id), "game"].sort());
    expect(resumed.data).toEqual({ user: "alice", score: 42 });
    expect(namesFrom(log, mark)).toEqual(["missed-1", "missed-2", "<connect>"]);
    await b.emit("game", "live-again");
    await received("live-again");
    expect(namesFrom(log, mark)).toEqual(["missed-1", "missed-2", "<connect>", "live-again"]);
  });
});
