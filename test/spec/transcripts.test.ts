/**
 * Replays every ```transcript block of spec/*.md against a live roomcast server, one test per
 * block, named by its rule tag and location. This is what keeps the spec and the code in step:
 * change a rule in the code and its transcript fails; change a transcript and the code must follow.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { fixture, pollingSupported, type FixtureServer } from "./fixtures.ts";
import { countTranscriptFences, parseTranscripts, type Transcript } from "./transcript-format.ts";
import { TranscriptRunner } from "./transcript-runner.ts";

const specDir = fileURLToPath(new URL("../../spec/", import.meta.url));
// Every markdown file under spec/, subfolders included, so no block can hide from the count.
const files = readdirSync(specDir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".md")).sort();

let fencesFound = 0;
const transcripts: Transcript[] = [];
for (const name of files) {
  const text = readFileSync(`${specDir}${name}`, "utf8");
  fencesFound += countTranscriptFences(text);
  transcripts.push(...parseTranscripts(`spec/${name}`, text));
}

// [EIO4:polling-handshake] Detected, not assumed: transcripts that need long-polling run as soon as the
// engine answers a real polling handshake with 200.
const polling = await pollingSupported();
const skipped = transcripts.filter((t) => t.needs.includes("polling") && !polling);
if (skipped.length > 0) {
  console.log(`spec transcripts: ${skipped.length} of ${transcripts.length} need HTTP long-polling, not served yet: skipped`);
}

/** Transcripts whose replay started (whether it then passed is each test's own verdict). */
const replayed = new Set<Transcript>();
let running: { runner: TranscriptRunner; server: FixtureServer } | undefined;

afterEach(async () => {
  const current = running;
  running = undefined;
  current?.runner.close();
  await current?.server.close();
});

describe("spec transcripts", () => {
  for (const t of transcripts) {
    const name = `${t.tag} ${t.file}:${t.line}`;
    const skip = skipped.includes(t);
    it.skipIf(skip)(name, async ({ signal, onTestFailed }) => {
      replayed.add(t);
      const start = fixture(t.fixture);
      if (start === undefined) throw new Error(`${t.file}:${t.line}: unknown fixture server=${t.fixture}`);
      const server = await start();
      const runner = new TranscriptRunner(t, server, signal);
      running = { runner, server };
      // A silent server fails the test by timeout, whose message says nothing about the spec.
      onTestFailed(() => {
        if (runner.waiting !== null) console.error(`timed out: ${runner.waiting}`);
      });
      await runner.run();
    });
  }

  it("found every transcript block in spec/*.md, and each one was replayed or knowingly skipped", () => {
    expect(files).toEqual(expect.arrayContaining(["README.md", "engine.io-v4.md", "socket.io-v5.md"]));
    expect(transcripts.length).toBe(fencesFound);
    expect(transcripts.length).toBeGreaterThan(0);
    const notRun = transcripts.filter((t) => !replayed.has(t) && !skipped.includes(t)).map((t) => `${t.tag} ${t.file}:${t.line}`);
    expect(notRun).toEqual([]);
    expect(replayed.size + skipped.length).toBe(fencesFound);
  });
});

afterAll(() => {
  console.log(`spec transcripts: ${fencesFound} found, ${replayed.size} replayed, ${skipped.length} skipped (need polling)`);
});
