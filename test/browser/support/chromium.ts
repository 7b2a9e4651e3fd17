/**
 * Headless Chromium for the browser tests: Debian's `/usr/bin/chromium` driven by
 * `playwright-core` (never a downloaded browser), one browser per test file and a fresh
 * context per test so that pages of different tests share no cookies, storage or cache.
 *
 * When the binary is missing the tests are skipped with a message, except under `CI=true`,
 * where a missing browser is a failure: CI must not pass by silently running nothing.
 */
import { existsSync } from "node:fs";
import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from "vitest";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

/** Where Debian's `chromium` package installs the browser. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Flags for a quiet, deterministic headless run inside a container (no sandbox, no network chatter). */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** True when the Chromium binary exists on this machine. */
export const chromiumAvailable: boolean = existsSync(CHROMIUM_PATH);

/** What a browser test body gets: the file's browser and the current test's context. */
export interface ChromiumHandle {
  /** The browser shared by every test of the file. */
  browser(): Browser;
  /** The context of the running test (closed, with its pages, after the test). */
  context(): BrowserContext;
  /** Opens a page in the running test's context. */
  newPage(): Promise<Page>;
}

/** Launches Debian's Chromium headless with {@link CHROMIUM_ARGS}. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
}

function mustGet<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not available outside a running browser test`);
  return value;
}

/**
 * Declares a `describe` block whose tests run in headless Chromium: the browser is launched in
 * `beforeAll` and closed in `afterAll`, each test gets a new context, closed in `afterEach`.
 *
 * Without `/usr/bin/chromium` the block is skipped with a console message, or, when `CI=true`,
 * replaced by one failing test that says what to install.
 */
export function describeInChromium(name: string, body: (chrome: ChromiumHandle) => void): void {
  if (!chromiumAvailable) {
    if (process.env.CI === "true") {
      describe(name, () => {
        it(`needs Chromium at ${CHROMIUM_PATH}`, () => {
          throw new Error(`${CHROMIUM_PATH} is missing: install Debian's package (apt-get install -y chromium)`);
        });
      });
      return;
    }
    console.warn(`[browser tests] skipping "${name}": ${CHROMIUM_PATH} not found (apt-get install -y chromium)`);
    describe.skip(name, () => {
      it("needs Chromium", () => {});
    });
    return;
  }

  describe(name, () => {
    let browser: Browser | undefined;
    let context: BrowserContext | undefined;

    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      browser = undefined;
    });
    beforeEach(async () => {
      context = await mustGet(browser, "the browser").newContext();
    });
    afterEach(async () => {
      await context?.close();
      context = undefined;
    });

    body({
      browser: () => mustGet(browser, "the browser"),
      context: () => mustGet(context, "the browser context"),
      newPage: () => mustGet(context, "the browser context").newPage(),
    });
  });
}
