/**
 * What an adapter asks of a Redis client, and the errors for a client that cannot give it: the
 * checks both client implementations run when an adapter is created, and a helper they share.
 */
import type { SubscriptionKind } from "./redis-connection.ts";

/** What an adapter will ask of a connection; checked at construction. */
export interface ConnectionNeeds {
  /** "publisher" or "subscriber", for messages. */
  role: string;
  /** Publishes with SPUBLISH. */
  sPublish?: boolean;
  /** Subscription kinds it will use. */
  kinds?: SubscriptionKind[];
}

/** The error for methods or options a detected client lacks. */
export function unfit(needs: ConnectionNeeds, description: string, missing: string[]): TypeError {
  return new TypeError(`roomcast: the ${needs.role} client (${description}) cannot be used: ${missing.join("; ")}`);
}

/** The names in `methods` that are not functions on `client`. */
export function missingMethods(client: object, methods: string[]): string[] {
  const record = client as Record<string, unknown>;
  return methods.filter((name) => typeof record[name] !== "function");
}

/** Runs a client call, turning a synchronous throw into a rejection. */
export function call(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}
