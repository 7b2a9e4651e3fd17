/**
 * A real Redis Cluster for the tests: `masters` redis-server children (cluster-enabled, no
 * persistence, a temp dir each) on free ports, joined with `redis-cli --cluster create`, ready
 * once every node reports `cluster_state:ok`. Stopped by PID (also when start-up fails half
 * way, and at process exit if a test run dies before its afterAll).
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

/** Starts one cluster-enabled node; resolves once it accepts connections. */
function startNode(port: number, busPort: number, dir: string): Promise<ChildProcess> {
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
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      if (out.includes("Ready to accept connections")) {
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        child.off("exit", onExit);
        resolve(child);
      }
    };
    const onExit = (code: number | null): void => reject(new Error(`redis-server on port ${port} exited (${String(code)}): ${out.slice(-500)}`));
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

async function clusterStateOk(port: number): Promise<boolean> {
  const { stdout } = await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "cluster", "info"]);
  return /cluster_state:ok/.test(stdout);
}

/**
 * Starts a Redis Cluster of `masters` masters without replicas.
 *
 * @throws when a node does not start, the cluster cannot be created, or it is not `ok` on every
 *   node after a bounded number of CLUSTER INFO polls; every node started is stopped first.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterHandle> {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
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
      children.push(await startNode(port, busPort, dir));
      ports.push(port);
    }
    await run("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-yes"]);
    // `--cluster create` returns once the nodes agree on the configuration; each node turns
    // `ok` when it has seen every slot covered. A bounded poll on that real condition.
    for (let attempt = 0; ; attempt++) {
      const states = await Promise.all(ports.map(clusterStateOk));
      if (states.every(Boolean)) break;
      if (attempt >= 200) throw new Error("the Redis Cluster did not reach cluster_state:ok");
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return { ports, nodes: ports.map((port) => ({ host: "127.0.0.1", port })), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
