/**
 * The runner's handle on the target server child: starts it, asks it for counters, heap
 * figures and broadcasts over IPC, and records how it died (a reported crash, an exit).
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  PLANTED_BUG_ENV,
  type HeapFigures,
  type PlantedBug,
  type ServerCounters,
  type TargetMessage,
  type TargetRequest,
} from "./ipc.ts";

const SCRIPT = fileURLToPath(new URL("./target-server.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Bytes of the child's stderr kept for a failure report. */
const STDERR_KEPT = 8192;
/** How long a start or an IPC answer may take before the target counts as hung. */
const START_TIMEOUT_MS = 30_000;
const REPLY_TIMEOUT_MS = 10_000;

/** How the target ended, when it did. */
export interface TargetDeath {
  /** The crash it reported (uncaught exception, unhandled rejection), if any. */
  crash?: { kind: string; message: string; stack: string };
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** A running target server child. */
export class Target {
  readonly port: number;
  /** The engine path, with its trailing slash (`/socket.io/`). */
  readonly path: string;
  readonly pingInterval: number;
  readonly pingTimeout: number;
  private death: TargetDeath | undefined;
  private crash: TargetDeath["crash"];
  private stderr = "";
  private nextId = 1;
  private readonly pending = new Map<number, (msg: Extract<TargetMessage, { type: "reply" }> | Error) => void>();
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    ready: Extract<TargetMessage, { type: "ready" }>,
    exited: Promise<void>,
  ) {
    this.port = ready.port;
    this.path = ready.path.endsWith("/") ? ready.path : `${ready.path}/`;
    this.pingInterval = ready.pingInterval;
    this.pingTimeout = ready.pingTimeout;
    this.exited = exited;
  }

  /** Forks the target and resolves once it listens. */
  static start(planted: PlantedBug = "none"): Promise<Target> {
    const child = fork(SCRIPT, [], {
      cwd: ROOT,
      execArgv: ["--expose-gc", "--import", "tsx"],
      env: { ...process.env, [PLANTED_BUG_ENV]: planted, DEBUG: "" },
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    let target: Target | undefined;
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-STDERR_KEPT);
      if (target) target.stderr = stderr;
    });
    let crash: TargetDeath["crash"];
    const exited = new Promise<void>((resolve) => {
      // `target` is assigned once the child is ready; an exit before that only rejects the start.
      child.once("exit", (code, signal) => {
        if (target) {
          target.death = { crash: target.crash ?? crash, code, signal, stderr };
          target.rejectPending();
        }
        resolve();
      });
    });
    child.on("error", () => {});
    return new Promise<Target>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`the target did not start within ${START_TIMEOUT_MS} ms: ${stderr}`));
      }, START_TIMEOUT_MS);
      child.on("message", (msg: TargetMessage) => {
        if (msg.type === "ready" && !target) {
          clearTimeout(timer);
          target = new Target(child, msg, exited);
          target.stderr = stderr;
          resolve(target);
        } else if (msg.type === "crash") {
          crash = { kind: msg.kind, message: msg.message, stack: msg.stack };
          if (target) target.crash = crash;
        } else if (msg.type === "reply" && target) {
          const waiter = target.pending.get(msg.id);
          target.pending.delete(msg.id);
          waiter?.(msg);
        }
      });
      void exited.then(() => {
        if (!target) {
          clearTimeout(timer);
          reject(new Error(`the target exited before listening: ${stderr}`));
        }
      });
    });
  }

  /** The crash it reported, or its death, once either happened (undefined while healthy). */
  get failure(): TargetDeath | undefined {
    // The crash report may be read after the exit: both are kept, whichever came first.
    if (this.death) return { ...this.death, crash: this.death.crash ?? this.crash };
    if (this.crash) return { crash: this.crash, code: null, signal: null, stderr: this.stderr };
    return undefined;
  }

  /** The server's session, namespace and room counts. */
  async counters(): Promise<ServerCounters> {
    const reply = await this.request({ cmd: "counters" });
    if (!reply.counters) throw new Error("the target answered without counters");
    return reply.counters;
  }

  /** Heap figures after a forced GC. */
  async heap(): Promise<HeapFigures> {
    const reply = await this.request({ cmd: "heap" });
    if (!reply.heap) throw new Error("the target answered without heap figures");
    return reply.heap;
  }

  /** Asks the server to `io.emit("fuzz:tick", tick)`. */
  async broadcast(tick: number): Promise<void> {
    await this.request({ cmd: "broadcast", tick });
  }

  /** Kills the child (if alive) and awaits its exit. */
  async stop(): Promise<void> {
    if (!this.death) this.child.kill("SIGKILL");
    await this.exited;
  }

  /** Fails every request still waiting for an answer (the target exited). */
  private rejectPending(): void {
    const waiters = [...this.pending.values()];
    this.pending.clear();
    for (const waiter of waiters) waiter(new Error("the target exited"));
  }

  private request(body: { cmd: "counters" } | { cmd: "heap" } | { cmd: "broadcast"; tick: number }): Promise<Extract<TargetMessage, { type: "reply" }>> {
    const id = this.nextId++;
    const req = { id, ...body } as TargetRequest;
    return new Promise((resolve, reject) => {
      if (this.failure) {
        reject(new Error("the target is down"));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the target did not answer "${body.cmd}" within ${REPLY_TIMEOUT_MS} ms (event loop blocked?)`));
      }, REPLY_TIMEOUT_MS);
      this.pending.set(id, (msg) => {
        clearTimeout(timer);
        if (msg instanceof Error) reject(msg);
        else resolve(msg);
      });
      this.child.send(req, (err) => {
        if (err && this.pending.delete(id)) {
          clearTimeout(timer);
          reject(new Error(`the target is unreachable: ${err.message}`));
        }
      });
    });
  }
}
