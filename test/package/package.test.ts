/**
 * The published package, used as a user uses it: `npm pack` (which builds dist/ through
 * `prepack`), the tarball installed into a fresh project, then
 * - plain `node` through `import` and through `require()`: a server, the official client, an ack;
 * - a strict TypeScript consumer (`consumer/`: `skipLibCheck: false`, `exactOptionalPropertyTypes`,
 *   `noPropertyAccessFromIndexSignature`, target ES2020) type-checked under `nodenext` and
 *   `bundler` resolution, compiled with tsc and run with node; its `@ts-expect-error` lines must
 *   each hide a real error (checked by compiling a copy without them);
 * - the tarball's file list, its dependency tree, publint and arethetypeswrong.
 *
 * Only the tarball and its dependencies (`ws`, `engine.io-parser`, from the npm cache) are
 * installed; the consumer's tools (`typescript`, `@types/node`, `socket.io-client`) are linked
 * from this repository's node_modules, so the test needs no network when the cache is warm.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CONSUMER = fileURLToPath(new URL("./consumer", import.meta.url));
/** Generous: the machine is shared, and each step is one process that either ends or fails. */
const STEP_MS = 120_000;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; never throws on a non-zero exit (the caller asserts on it). */
function run(cmd: string, args: string[], cwd: string, timeout = STEP_MS): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
      resolve({ code, stdout, stderr: err !== null && err.killed ? `${stderr}\n(killed after ${timeout} ms)` : stderr });
    });
  });
}

function expectOk(r: Result, what: string): void {
  expect(r.code, `${what} failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
}

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: Array<{ path: string }>;
}

let tmp = "";
let tarball = "";
let pack: PackResult;
let app = "";

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "roomcast-package-"));
  // As a user (or `npm publish`) does: `prepack` builds dist/ first. With --json, lifecycle
  // output goes to stderr and stdout is only the JSON report.
  const packed = await run("npm", ["pack", "--json", "--pack-destination", tmp], ROOT);
  expectOk(packed, "npm pack");
  const reports = JSON.parse(packed.stdout) as PackResult[];
  expect(reports).toHaveLength(1);
  pack = reports[0] as PackResult;
  tarball = join(tmp, pack.filename);

  app = join(tmp, "app");
  await mkdir(app);
  await writeFile(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  const installed = await run(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--no-package-lock", "--ignore-scripts", tarball],
    app,
  );
  expectOk(installed, "npm install <tarball>");
  // The consumer's own tools, linked rather than installed (see the header).
  await mkdir(join(app, "node_modules", "@types"));
  for (const dep of ["typescript", "@types/node", "socket.io-client"]) {
    await symlink(join(ROOT, "node_modules", dep), join(app, "node_modules", dep), "dir");
  }
  await cp(CONSUMER, app, { recursive: true });
}, 2 * STEP_MS);

afterAll(async () => {
  if (tmp !== "") await rm(tmp, { recursive: true, force: true });
});

describe("the tarball", () => {
  it("holds the compiled package, its types, source maps, README and LICENSE, and nothing else", () => {
    const paths = pack.files.map((f) => f.path).sort();
    for (const needed of ["LICENSE", "README.md", "package.json", "dist/index.js", "dist/index.d.ts", "dist/index.js.map"]) {
      expect(paths).toContain(needed);
    }
    const unexpected = paths.filter((p) => !/^(LICENSE|README\.md|package\.json|dist\/.+\.(js|d\.ts|js\.map))$/.test(p));
    expect(unexpected, "files outside dist/, README, LICENSE, package.json").toEqual([]);
    for (const dir of ["src/", "test/", "bench/", ".ci/", "spec/", "examples/"]) {
      expect(paths.filter((p) => p.startsWith(dir))).toEqual([]);
    }
    // Every module ships with its declarations and its source map.
    for (const js of paths.filter((p) => p.endsWith(".js"))) {
      expect(paths).toContain(js.replace(/\.js$/, ".d.ts"));
      expect(paths).toContain(`${js}.map`);
    }
    // A budget, to notice when something large slips in (it was 0.32 MB when written).
    expect(pack.size).toBeLessThan(600_000);
  });

  it("installs with only roomcast's declared runtime dependencies and theirs", async () => {
    // The closure of roomcast's `dependencies` (npm installs them flat here): nothing else may come in.
    const expected = new Set<string>(["roomcast"]);
    const pending = ["roomcast"];
    for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
      const manifest = JSON.parse(await readFile(join(app, "node_modules", name, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
      for (const dep of Object.keys(manifest.dependencies ?? {})) {
        if (!expected.has(dep)) {
          expected.add(dep);
          pending.push(dep);
        }
      }
    }
    const declared = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    for (const dep of Object.keys(declared.dependencies)) expect(expected).toContain(dep);
    const linked = new Set(["typescript", "@types", "socket.io-client"]);
    const present = (await readdir(join(app, "node_modules"))).filter((d) => !d.startsWith(".") && !linked.has(d));
    expect(present.sort()).toEqual([...expected].sort());
  });

  it("passes publint", async () => {
    const data = await readFile(tarball);
    const tarballBuffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
    const { messages, pkg } = await publint({ pack: { tarball: tarballBuffer }, level: "suggestion", strict: true });
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, pkg) ?? m.code}`)).toEqual([]);
  });

  it("passes arethetypeswrong", async () => {
    // cjs-resolves-to-esm is the design, not a mistake: `require("roomcast")` loads the ES
    // module through require(esm), which the `engines` range (Node ^20.19 || >=22.12) has
    // unflagged, and TypeScript 5.8+ types it under module nodenext (the CommonJS consumer
    // below checks both). attw's bundled TypeScript predates that and still flags it.
    const attw = join(ROOT, "node_modules", ".bin", "attw");
    const r = await run(attw, [tarball, "--ignore-rules", "cjs-resolves-to-esm", "--format", "ascii", "--no-color"], tmp);
    expectOk(r, "attw");
  });
});

describe("plain node", () => {
  it("import: an ES module script serves the official client and gets an ack", async () => {
    const r = await run(process.execPath, ["esm.mjs"], app, 30_000);
    expectOk(r, "node esm.mjs");
    expect(r.stdout.trim()).toBe("esm ack 42");
    expect(r.stderr).toBe(""); // no warnings either
  });

  it("require: a CommonJS script serves the official client and gets an ack", async () => {
    const r = await run(process.execPath, ["cjs.cjs"], app, 30_000);
    expectOk(r, "node cjs.cjs");
    expect(r.stdout.trim()).toBe(`cjs ack 42 (roomcast ${JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")).version})`);
    expect(r.stderr).toBe(""); // no ExperimentalWarning for require(esm)
  });
});

describe("a strict TypeScript consumer", () => {
  let nodenext: Result;
  let bundler: Result;
  /** `stripped/<file>(<line>)` of each line that followed a `@ts-expect-error` directive. */
  const expected: string[] = [];

  beforeAll(async () => {
    // The same sources with every `@ts-expect-error` line removed go in stripped/, which the
    // bundler config compiles next to src/: src/ must be clean, and stripped/ must fail exactly
    // on the lines that followed a directive, so that no directive is vacuous.
    await mkdir(join(app, "stripped"));
    for (const name of await readdir(join(app, "src"))) {
      const kept: string[] = [];
      for (const line of (await readFile(join(app, "src", name), "utf8")).split("\n")) {
        if (/^\s*\/\/ @ts-expect-error/.test(line)) expected.push(`stripped/${name}(${kept.length + 1})`);
        else kept.push(line);
      }
      await writeFile(join(app, "stripped", name), kept.join("\n"));
    }
    // Both compilations at once: each is mostly checking @types/node with skipLibCheck off.
    const tsc = (args: string[]): Promise<Result> => run(process.execPath, [join(app, "node_modules", "typescript", "bin", "tsc"), ...args], app);
    [nodenext, bundler] = await Promise.all([tsc(["-p", "tsconfig.nodenext.json", "--listFiles"]), tsc(["-p", "tsconfig.bundler.json"])]);
  }, 2 * STEP_MS);

  it("type-checks under module nodenext against the packaged declarations only, compiles, and runs", async () => {
    expectOk(nodenext, "tsc -p tsconfig.nodenext.json");
    const files = nodenext.stdout.split("\n").filter((l) => l.trim() !== "");
    // roomcast's types come from the installed dist/, and none of them pulls in `ws` types
    // (which would make @types/ws a dependency of every TypeScript user).
    expect(files.some((f) => f.includes(`${sep}node_modules${sep}roomcast${sep}dist${sep}index.d.ts`))).toBe(true);
    expect(files.filter((f) => f.includes(`${sep}roomcast${sep}src${sep}`))).toEqual([]);
    expect(files.filter((f) => /[\\/](ws|@types[\\/]ws)[\\/]/.test(f))).toEqual([]);

    const esm = await run(process.execPath, ["out/main.js"], app, 30_000);
    expectOk(esm, "node out/main.js");
    expect(esm.stdout.trim()).toBe("ts ack 42");
    const cjs = await run(process.execPath, ["out/require.cjs"], app, 30_000);
    expectOk(cjs, "node out/require.cjs");
    expect(cjs.stdout.trim()).toBe("cts function /");
  });

  it("type-checks under moduleResolution bundler; each @ts-expect-error hides exactly one real error", () => {
    expect(expected.length).toBeGreaterThanOrEqual(4);
    const errorLines = bundler.stdout.split("\n").filter((l) => / error TS\d+/.test(l));
    const errors = errorLines.map((l) => /^(stripped\/\S+)\((\d+),\d+\): error (TS\d+)/.exec(l));
    // Any error elsewhere (src/, roomcast's declarations, the config) fails here, printed whole.
    expect(errorLines.filter((_, i) => errors[i] === null), bundler.stdout).toEqual([]);
    const located = errors.filter((m) => m !== null).map((m) => ({ at: `${m[1]}(${m[2]})`, code: m[3] }));
    expect(located.map((e) => e.at).sort(), bundler.stdout).toEqual(expected.sort());
    expect(new Set(located.map((e) => e.code))).toEqual(new Set(["TS2345"]));
  });
});
