/**
 * Records what would kill a server process (an uncaught exception, an unhandled rejection)
 * while a test runs, so the test can assert there was none. Without it a crash inside a socket
 * callback is reported by vitest as a stray error after the test, or not tied to it at all.
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
