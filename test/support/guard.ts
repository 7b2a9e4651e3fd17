/**
 * The test guard (a vitest `setupFiles` entry, so it runs in every test file of the suite).
 *
 * Most tests run the server in the test process itself, so an `uncaughtException` or an
 * `unhandledRejection` there is what would have killed a production server. Left to vitest
 * 4.1, such an error is reported as an "Unhandled Error" after the run, the test that caused it
 * passes, and if any code in the process has a listener of its own for the event, vitest
 * assumes it is handled and reports nothing at all. The guard makes it deterministic instead:
 *
 * - it listens to both process events and records each error with where it happened;
 * - when a test finishes (after its `afterEach` hooks, so what the file's cleanup provokes counts
 *   too) the guard throws what was recorded: the test that was running fails, with the error's
 *   stack in the message;
 * - an error recorded between two tests fails the next test, and one recorded after the last
 *   test (in an `afterAll` hook) fails the file, each saying after which test it happened;
 * - once the file's hooks are done it removes its listeners, so vitest's own reporting
 *   ("Unhandled Errors", a failed run) covers anything later.
 *
 * The failing test is not interrupted: one that goes on waiting for something the crash
 * prevented fails at its timeout, with the guard's error reported next to the timeout.
 *
 * A test that provokes an uncaught error on purpose declares it with {@link allowUncaught}.
 * Errors in child processes are not the guard's business: each process reports its own.
 */
import { aroundAll, beforeEach } from "vitest";

type ProcessErrorEvent = "uncaughtException" | "unhandledRejection";

/** An error the guard saw, with the place in the file's run where it happened. */
interface Recorded {
  readonly event: ProcessErrorEvent;
  readonly error: unknown;
  /** "during test X", "after test X ended", "before the first test"... */
  readonly when: string;
}

/** What a test may let through (see {@link allowUncaught}). */
export type UncaughtMatcher = RegExp | ((error: unknown) => boolean);

/** The errors one {@link allowUncaught} call let through. */
export interface AllowedUncaught {
  /** Errors matched so far, in order. */
  readonly errors: readonly unknown[];
  /** Resolves with the next matching error (one already seen and not yet taken counts). */
  next(): Promise<unknown>;
}

interface Allowance {
  readonly matches: (error: unknown) => boolean;
  /** The test it was declared in; null: declared outside a test, valid for the whole file. */
  readonly test: string | null;
  readonly errors: unknown[];
  taken: number;
  waiters: Array<(error: unknown) => void>;
}

interface GuardState {
  recorded: Recorded[];
  allowances: Allowance[];
  /** Full name of the running test, null between tests. */
  currentTest: string | null;
  lastTest: string | null;
  installed: boolean;
}

// One state per process: a worker that runs several files evaluates this module once per file,
// and two sets of listeners must never be installed at once.
const STATE_KEY = Symbol.for("roomcast.test-guard");
const holder = globalThis as { [STATE_KEY]?: GuardState };
const state: GuardState = (holder[STATE_KEY] ??= {
  recorded: [],
  allowances: [],
  currentTest: null,
  lastTest: null,
  installed: false,
});

/** `code: message` (or the name), the form matchers and messages use. */
function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return `${typeof code === "string" ? code : error.name}: ${error.message}`;
  }
  return `non-Error value: ${String(error)}`;
}

function where(): string {
  if (state.currentTest !== null) return `during test "${state.currentTest}"`;
  if (state.lastTest !== null) return `after test "${state.lastTest}" ended`;
  return "before the first test (at import or in a beforeAll hook)";
}

function record(event: ProcessErrorEvent, error: unknown): void {
  for (const allowance of state.allowances) {
    if (!allowance.matches(error)) continue;
    allowance.errors.push(error);
    const waiter = allowance.waiters.shift();
    if (waiter !== undefined) {
      allowance.taken++;
      waiter(error);
    }
    return;
  }
  state.recorded.push({ event, error, when: where() });
}

const onUncaughtException = (error: unknown): void => record("uncaughtException", error);
const onUnhandledRejection = (error: unknown): void => record("unhandledRejection", error);

function install(): void {
  if (state.installed) return;
  state.installed = true;
  process.on("uncaughtException", onUncaughtException);
  process.on("unhandledRejection", onUnhandledRejection);
}

function uninstall(): void {
  if (!state.installed) return;
  state.installed = false;
  process.off("uncaughtException", onUncaughtException);
  process.off("unhandledRejection", onUnhandledRejection);
}

/** The error a hook throws for what was recorded: one message with every error's stack. */
function guardFailure(recorded: readonly Recorded[]): Error {
  const parts = recorded.map(({ event, error, when }) => {
    const detail = error instanceof Error ? (error.stack ?? describeError(error)) : describeError(error);
    return `${event} ${when}: ${detail}`;
  });
  const head =
    recorded.length === 1
      ? "test guard: the test process had an uncaught error (it would have killed a server process)"
      : `test guard: the test process had ${recorded.length} uncaught errors (each would have killed a server process)`;
  const failure = new Error(`${head}\n${parts.join("\n\n")}`, { cause: recorded[0]?.error });
  failure.name = "UncaughtInTestProcess";
  // The message carries the original stacks; the guard's own frames would only add noise.
  failure.stack = `${failure.name}: ${failure.message}`;
  return failure;
}

function throwRecorded(): void {
  if (state.recorded.length === 0) return;
  const recorded = state.recorded.splice(0);
  throw guardFailure(recorded);
}

// Taken at load, before any test can install vitest's fake timers (which fake setImmediate too).
const realSetImmediate = globalThis.setImmediate;

/** Lets I/O callbacks already due run, so an error a test's own cleanup provoked is seen now. */
function oneLoopTurn(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

/**
 * Lets uncaught exceptions and unhandled rejections that match `matcher` through without
 * failing the test, and collects them. Declared inside a test (or a `beforeEach`), it lasts
 * until that test ends; declared at a file's top level or in a `beforeAll`, for the whole file.
 * Only for tests whose subject is such an error; a server bug is never a reason to use it.
 *
 * @param matcher - a RegExp tested against `"<code or name>: <message>"`, or a predicate.
 * @returns the errors let through, and a way to await the next one.
 * @example
 * ```ts
 * const crash = allowUncaught(/^ERR_UNHANDLED_ERROR: /);
 * emitter.emit("error", new Error("x")); // from a callback, so that nothing catches it
 * expect(await crash.next()).toBeInstanceOf(Error);
 * ```
 */
export function allowUncaught(matcher: UncaughtMatcher): AllowedUncaught {
  const matches = matcher instanceof RegExp ? (error: unknown) => matcher.test(describeError(error)) : matcher;
  const allowance: Allowance = { matches, test: state.currentTest, errors: [], taken: 0, waiters: [] };
  state.allowances.push(allowance);
  return {
    errors: allowance.errors,
    next() {
      if (allowance.taken < allowance.errors.length) return Promise.resolve(allowance.errors[allowance.taken++]);
      return new Promise((resolve) => allowance.waiters.push(resolve));
    },
  };
}

aroundAll(async (runSuite) => {
  // A new file: nothing carried over from a previous one run by the same worker.
  state.recorded = [];
  state.allowances = [];
  state.currentTest = null;
  state.lastTest = null;
  install();
  try {
    await runSuite();
    // Runs after every afterAll hook of the file (aroundAll wraps them): what the file's last
    // cleanup provoked is reported here, as a failure of the file.
    await oneLoopTurn();
  } finally {
    state.allowances = [];
    // From here on vitest's own handler is the only listener again, and reports what comes later.
    uninstall();
  }
  throwRecorded();
});

beforeEach((context) => {
  if (state.currentTest !== null) state.lastTest = state.currentTest;
  // "describe > test", without the file's name that vitest puts first.
  const file = `${context.task.file.name} > `;
  const fullName = context.task.fullName;
  state.currentTest = fullName.startsWith(file) ? fullName.slice(file.length) : fullName;
  // Test-finished callbacks run after every afterEach hook (whatever their order, and even when
  // one of them threw), and an error they throw fails the test.
  context.onTestFinished(async () => {
    await oneLoopTurn();
    state.lastTest = state.currentTest;
    state.currentTest = null;
    state.allowances = state.allowances.filter((a) => a.test === null);
    throwRecorded();
  });
});
