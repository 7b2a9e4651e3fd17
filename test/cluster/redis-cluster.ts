/**
 * A real Redis Cluster for the tests: `masters` redis-server children (cluster-enabled, no
 * persistence, a temp dir each) on free ports, joined with `redis-cli --cluster create`, ready
 * once every node has logged that its cluster state is `ok`. Stopped by PID (also when start-up
 * fails half way, and at process exit if a test run dies before its afterAll).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A running Redis Cluster. */
export interface RedisClusterHandle {
  /** The masters' client ports on 127.0.0.1. */
  ports: number[];
  /** `[{ host, port }]` for the cluster clients' start-up node lists. */
  nodes: Array<{ host: string; port: number }>;
  /** Kills every node (by PID) and removes their directories. Idempotent. */
  stop(): Promise<void>;
}

/** Children still running, killed synchronously if the process exits first. */
const alive = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of alive) child.kill("SIGKILL");
});

/** A port nobody listens on now (the OS' choice for port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A node that accepts connections, and the moment it reports its cluster state `ok`. */
interface StartedNode {
  child: ChildProcess;
  /** Resolves when the node logs "Cluster state changed: ok" (it has seen every slot covered). */
  clusterOk: Promise<void>;
}

/** Starts one cluster-enabled node; resolves once it accepts connections. */
function startNode(port: number, busPort: number, dir: string): Promise<StartedNode> {
  // prettier-ignore
  const args = [
    "--port", String(port), "--cluster-port", String(busPort), "--bind", "127.0.0.1",
    "--cluster-enabled", "yes", "--cluster-config-file", path.join(dir, "nodes.conf"),
    "--cluster-node-timeout", "2000", "--dir", dir, "--save", "", "--appendonly", "no",
    "--daemonize", "no", "--protected-mode", "no",
  ];
  const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
  alive.add(child);
  child.once("exit", () => alive.delete(child));
  // The node's log (stdout, notice level) says when its cluster state turns ok: an event to
  // await rather than a state to poll. Only the log's tail is kept, enough to match a line.
  let log = "";
  let reportOk: () => void = () => {};
  const clusterOk = new Promise<void>((resolve) => (reportOk = resolve));
  return new Promise((resolve, reject) => {
    let ready = false;
    const onData = (chunk: Buffer): void => {
      log = (log + chunk.toString()).slice(-4096);
      if (!ready && log.includes("Ready to accept connections")) {
        ready = true;
        child.off("exit", onExit);
        resolve({ child, clusterOk });
      }
      if (ready && log.includes("Cluster state changed: ok")) {
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        reportOk();
      }
    };
    const onExit = (code: number | null): void => reject(new Error(`redis-server on port ${port} exited (${String(code)}): ${log.slice(-500)}`));
    child.stdout?.on("data", onData);
    child.stderr?.resume();
    child.once("exit", onExit);
    child.once("error", reject);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

/** How long the nodes may take to report `cluster_state:ok` after `--cluster create`. */
const CLUSTER_OK_TIMEOUT_MS = 10_000;

/** `promise`, or a rejection once `ms` have passed without it settling. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the Redis Cluster did not reach cluster_state:ok within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

async function clusterStateOk(port: number): Promise<boolean> {
  const { stdout } = await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "cluster", "info"]);
  return /cluster_state:ok/.test(stdout);
}

/**
 * Starts a Redis Cluster of `masters` masters without replicas.
 *
 * @throws when a node does not start, the cluster cannot be created, or not every node reports
 *   `ok` within {@link CLUSTER_OK_TIMEOUT_MS}; every node started is stopped first.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterHandle> {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  const nodes: StartedNode[] = [];
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= Promise.all(children.map(stopChild)).then(() => {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }));
  try {
    const ports: number[] = [];
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      const busPort = await freePort();
      const dir = mkdtempSync(path.join(tmpdir(), "roomcast-redis-cluster-"));
      dirs.push(dir);
      const node = await startNode(port, busPort, dir);
      children.push(node.child);
      nodes.push(node);
      ports.push(port);
    }
    await run("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-yes"]);
    // `--cluster create` returns once the nodes agree on the configuration; each node turns
    // `ok` (and logs it) when it has seen every slot covered. Bounded by a deadline.
    await withDeadline(Promise.all(nodes.map((node) => node.clusterOk)), CLUSTER_OK_TIMEOUT_MS);
    const states = await Promise.all(ports.map(clusterStateOk));
    if (!states.every(Boolean)) throw new Error("a Redis Cluster node logged state ok but CLUSTER INFO says otherwise");
    return { ports, nodes: ports.map((port) => ({ host: "127.0.0.1", port })), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
