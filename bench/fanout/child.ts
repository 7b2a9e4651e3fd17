/**
 * A forked TypeScript child (run through tsx) spoken to over IPC: send a command, await a
 * reply of a given type with a deadline. Every child is killed when this process exits.
 */
import { fork, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { REPO_ROOT } from "../results.ts";

const live = new Set<ChildProcess>();

function killAll(): void {
  for (const proc of live) proc.kill("SIGKILL");
  live.clear();
}

process.once("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

interface Waiter<R> {
  type: string;
  resolve: (reply: R) => void;
  reject: (err: Error) => void;
}

/** A child process with a typed IPC channel. */
export class Child<Cmd, Reply extends { type: string }> {
  readonly name: string;
  private readonly proc: ChildProcess;
  private readonly inbox: Reply[] = [];
  private readonly waiters: Waiter<Reply>[] = [];
  private exitError: Error | undefined = undefined;
  /** Resolves when the child has exited (any code). */
  readonly exited: Promise<number | null>;

  /**
   * @param name - for error messages.
   * @param file - path of the .ts entry point, relative to the repository root.
   * @param args - its command-line arguments.
   * @param nodeFlags - extra node flags (e.g. `--expose-gc`).
   */
  constructor(name: string, file: string, args: string[], nodeFlags: string[] = [], execPath?: string) {
    this.name = name;
    this.proc = fork(resolve(REPO_ROOT, file), args, {
      cwd: REPO_ROOT,
      ...(execPath === undefined ? {} : { execPath }),
      execArgv: ["--import", "tsx", ...nodeFlags],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    live.add(this.proc);
    this.exited = new Promise((done) => {
      this.proc.once("exit", (code, signal) => {
        live.delete(this.proc);
        this.exitError = new Error(`${this.name} exited (code ${code}, signal ${signal})`);
        for (const w of this.waiters.splice(0)) w.reject(this.exitError);
        done(code);
      });
    });
    this.proc.on("message", (msg: Reply) => this.deliver(msg));
  }

  /** Sends a command (ignored once the child has gone: the pending waiter reports that). */
  send(cmd: Cmd): void {
    if (this.proc.connected) this.proc.send(cmd as object);
  }

  /**
   * The next reply of `type` (an earlier unclaimed one, or a future one). Rejects if the child
   * exits, if it reports an `error`, or when `deadlineMs` passes (a watchdog, not a wait).
   */
  next<T extends Reply["type"]>(type: T, deadlineMs: number): Promise<Extract<Reply, { type: T }>> {
    const idx = this.inbox.findIndex((r) => r.type === type);
    if (idx >= 0) return Promise.resolve(this.inbox.splice(idx, 1)[0] as Extract<Reply, { type: T }>);
    const errIdx = this.inbox.findIndex((r) => r.type === "error");
    if (errIdx >= 0) return Promise.reject(this.errorFrom(this.inbox[errIdx] as Reply));
    if (this.exitError) return Promise.reject(this.exitError);
    return new Promise((resolvePromise, rejectPromise) => {
      const signal = AbortSignal.timeout(deadlineMs);
      const waiter: Waiter<Reply> = {
        type,
        resolve: (r) => {
          signal.removeEventListener("abort", onAbort);
          resolvePromise(r as Extract<Reply, { type: T }>);
        },
        reject: (e) => {
          signal.removeEventListener("abort", onAbort);
          rejectPromise(e);
        },
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        rejectPromise(new Error(`${this.name}: no "${type}" reply within ${deadlineMs} ms`));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Sends `cmd` and awaits the reply of `type`. */
  request<T extends Reply["type"]>(cmd: Cmd, type: T, deadlineMs: number): Promise<Extract<Reply, { type: T }>> {
    const reply = this.next(type, deadlineMs);
    this.send(cmd);
    return reply;
  }

  /** Kills the child (if still running) and awaits its exit. */
  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
    await this.exited;
  }

  /** An `error` reply as an Error: its message when it has one, else the whole reply. */
  private errorFrom(msg: Reply): Error {
    const message: unknown = (msg as { message?: unknown }).message;
    return new Error(`${this.name}: ${typeof message === "string" ? message : JSON.stringify(msg)}`);
  }

  private deliver(msg: Reply): void {
    if (msg.type === "error") {
      const err = this.errorFrom(msg);
      const all = this.waiters.splice(0);
      if (all.length === 0) this.inbox.push(msg);
      for (const w of all) w.reject(err);
      return;
    }
    const i = this.waiters.findIndex((w) => w.type === msg.type);
    if (i >= 0) this.waiters.splice(i, 1)[0]?.resolve(msg);
    else this.inbox.push(msg);
  }
}
