/**
 * Bounded waiting: every wait of the harness has a deadline, so a server that hangs makes a case
 * fail instead of making the run hang.
 */

/** A wait that ran out of time. */
export class DeadlineError extends Error {
  override readonly name = "DeadlineError";
}

/**
 * Resolves as `promise` does, or rejects with a DeadlineError after `ms`.
 *
 * @param what the description used in the error (" within N ms" is appended)
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeadlineError(`${what} within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * Waits `ms`. Only for pacing what is sent (a trickled write), never to let the server "settle":
 * outcomes are awaited through events.
 */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
