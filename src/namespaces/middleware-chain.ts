/**
 * Runs a list of `(arg, next)` middlewares in order, the way both namespaces (for connecting
 * sockets) and sockets (for incoming events) do.
 */

/** A middleware: calls `next()` to pass, `next(err)` to stop the chain with an error. */
export type Middleware<A, E> = (arg: A, next: (err?: E) => void) => void;

/**
 * Calls each middleware of `chain` from `index` with `arg`; `done()` once all passed, or
 * `done(err)` at the first error. A `next` called twice counts once.
 *
 * @example
 * ```ts
 * runMiddlewares([(s, next) => next()], socket, (err) => (err ? refuse(err) : accept()));
 * ```
 */
export function runMiddlewares<A, E>(chain: readonly Middleware<A, E>[], arg: A, done: (err?: E) => void, index = 0): void {
  const middleware = chain[index];
  if (middleware === undefined) {
    done();
    return;
  }
  let called = false;
  middleware(arg, (err?: E) => {
    if (called) return;
    called = true;
    if (err) done(err);
    else runMiddlewares(chain, arg, done, index + 1);
  });
}
