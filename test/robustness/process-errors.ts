/**
 * Records what would kill a server process (an uncaught exception, an unhandled rejection)
 * while a test runs, so the test can assert there was none, and race a wait against a crash.
 * The suite's guard (test/support/guard.ts) fails such a test anyway, once it has finished;
 * this view lets a test that is about crashes say so in its own assertions, and not wait for a
 * `close` that a crashed callback will never emit.
 */
import { afterEach, beforeEach } from "vitest";

/** Errors seen since the current test started. */
export interface ProcessErrors {
  readonly errors: unknown[];
  /**
   * Resolves with the next error. For racing a wait that a crash would prevent from ever
   * finishing (a `close` event the crashed callback never got to emit).
   */
  next(): Promise<unknown>;
}

/**
 * Installs the recorder for every test of the calling file (call once, at top level).
 *
 * @returns a live view of the errors of the running test.
 */
export function recordProcessErrors(): ProcessErrors {
  const state = { errors: [] as unknown[], waiters: [] as Array<(err: unknown) => void> };
  const onError = (err: unknown): void => {
    state.errors.push(err);
    for (const waiter of state.waiters.splice(0)) waiter(err);
  };
  beforeEach(() => {
    state.errors = [];
    state.waiters = [];
    process.on("uncaughtException", onError);
    process.on("unhandledRejection", onError);
  });
  afterEach(() => {
    process.off("uncaughtException", onError);
    process.off("unhandledRejection", onError);
  });
  return {
    get errors() {
      return state.errors;
    },
    next() {
      return new Promise((resolve) => state.waiters.push(resolve));
    },
  };
}

/** A short description of each recorded error, for a readable assertion diff. */
export function describeErrors(errors: readonly unknown[]): string[] {
  return errors.map((e) => (e instanceof Error ? `${(e as NodeJS.ErrnoException).code ?? e.name}: ${e.message}` : String(e)));
}
