/**
 * The test guard (test/support/guard.ts) fails the test that had an uncaught exception or an
 * unhandled rejection in the test process. Checked by running fixture files through a child
 * vitest with the suite's setup, and reading its JSON report: each planted error fails its test
 * (or its file, after the last test) with the guard's message, and clean tests pass.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

interface AssertionResult {
  title: string;
  status: string;
  failureMessages: string[];
}

interface FileResult {
  name: string;
  status: string;
  message: string;
  assertionResults: AssertionResult[];
}

interface JsonReport {
  testResults: FileResult[];
}

const config = fileURLToPath(new URL("fixtures/vitest.config.ts", import.meta.url));
const vitestBin = join(dirname(createRequire(import.meta.url).resolve("vitest/package.json")), "vitest.mjs");

/** Runs the fixtures in a child vitest; resolves with its JSON report. */
async function runFixtures(): Promise<JsonReport> {
  const dir = await mkdtemp(join(tmpdir(), "roomcast-guard-"));
  const outputFile = join(dir, "report.json");
  // The child is a vitest of its own, not a worker of this one.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("VITEST")));
  const child = spawn(process.execPath, [vitestBin, "run", "--config", config, "--reporter=json", `--outputFile=${outputFile}`], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await new Promise((resolve) => child.once("close", resolve));
  try {
    return JSON.parse(await readFile(outputFile, "utf8")) as JsonReport;
  } catch (err) {
    throw new Error(`the fixture run wrote no report:\n${output}`, { cause: err });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

let report: JsonReport;

beforeAll(async () => {
  report = await runFixtures();
}, 120_000);

function file(name: string): FileResult {
  const found = report.testResults.find((f) => f.name.endsWith(`/${name}`));
  if (found === undefined) throw new Error(`no result for ${name}: ${report.testResults.map((f) => f.name).join(", ")}`);
  return found;
}

function test(fileName: string, title: string): AssertionResult {
  const found = file(fileName).assertionResults.find((t) => t.title === title);
  if (found === undefined) throw new Error(`no test "${title}" in ${fileName}`);
  return found;
}

describe("The test guard", () => {
  it("fails a test whose server threw from a timer, with the error and its stack", () => {
    const result = test("uncaught.fixture.ts", "planted uncaught exception in a timer");
    expect(result.status).toBe("failed");
    const message = result.failureMessages.join("\n");
    expect(message).toContain('uncaughtException during test "planted uncaught exception in a timer"');
    expect(message).toContain("Error: planted: uncaught exception in a timer");
    expect(message).toContain("uncaught.fixture.ts:"); // the stack of the planted throw
  });

  it("fails a test whose server threw from a socket event, even when the file listens to process errors itself", () => {
    const result = test("uncaught.fixture.ts", "planted uncaught exception in a socket event");
    expect(result.status).toBe("failed");
    expect(result.failureMessages.join("\n")).toContain("Error: planted: uncaught exception in a socket event");
  });

  it("fails a test whose server left a rejection unhandled", () => {
    const result = test("rejection.fixture.ts", "planted unhandled rejection");
    expect(result.status).toBe("failed");
    const message = result.failureMessages.join("\n");
    expect(message).toContain('unhandledRejection during test "planted unhandled rejection"');
    expect(message).toContain("Error: planted: unhandled rejection");
  });

  it("fails the file for an error after its last test, naming that test", () => {
    const f = file("after-last.fixture.ts");
    expect(test("after-last.fixture.ts", "clean test before the planted error").status).toBe("passed");
    expect(f.status).toBe("failed");
    expect(f.message).toContain('uncaughtException after test "clean test before the planted error" ended');
    expect(f.message).toContain("Error: planted: uncaught exception in afterAll");
  });

  it("lets an error declared with allowUncaught through, for its test only", () => {
    expect(test("allowed.fixture.ts", "allowed uncaught exception").status).toBe("passed");
    const next = test("allowed.fixture.ts", "the allowance ends with its test");
    expect(next.status).toBe("failed");
    const message = next.failureMessages.join("\n");
    expect(message).toContain("Error: planted: allowed");
    expect(message).not.toContain("Error: planted: other");
  });

  it("passes clean tests, also after a failed one in the same file", () => {
    expect(test("clean.fixture.ts", "clean server and client").status).toBe("passed");
    expect(file("clean.fixture.ts").status).toBe("passed");
    expect(test("uncaught.fixture.ts", "clean test after them").status).toBe("passed");
  });
});
