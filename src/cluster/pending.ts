/**
 * Requests this server sent to the others and is waiting on: each one counts the answers it
 * expects, ends when they are all in or when its timer fires, and is forgotten either way, so
 * the table holds only what is still pending. It is bounded (`MAX_PENDING`): past that, new
 * requests fail at once instead of growing memory without limit.
 */
import { randomBytes } from "node:crypto";
import { RedisAdapterError } from "./errors.ts";
import type { AckCallback } from "../rooms/types.ts";

/** Requests (and broadcasts with acknowledgement) one adapter may have pending at once. */
export const MAX_PENDING = 10_000;

/** A fresh id for a request or an adapter (8 url-safe characters). */
export function randomId(): string {
  return randomBytes(6).toString("base64url");
}

class Pending {
  received = 0;
  timer: NodeJS.Timeout | undefined = undefined;

  constructor(
    readonly expected: number,
    readonly collect: (answer: Record<string, unknown>) => void,
    readonly done: (err: RedisAdapterError | null) => void,
  ) {}
}

/** The requests awaiting answers, by request id. */
export class PendingRequests {
  private readonly table = new Map<string, Pending>();

  /**
   * Registers a request expecting `expected` answers and returns its id. `done` runs once:
   * with null when every answer arrived, or with a timeout error (answers so far were
   * already collected).
   *
   * @throws {@link RedisAdapterError} when {@link MAX_PENDING} requests are already pending.
   */
  open(
    expected: number,
    timeoutMs: number,
    what: string,
    collect: (answer: Record<string, unknown>) => void,
    done: (err: RedisAdapterError | null) => void,
  ): string {
    if (this.table.size >= MAX_PENDING) {
      throw new RedisAdapterError("ROOMCAST_ERR_REDIS_TIMEOUT", `${MAX_PENDING} cluster requests already pending; ${what} refused`);
    }
    const id = randomId();
    const pending = new Pending(expected, collect, done);
    pending.timer = setTimeout(() => {
      if (this.table.get(id) !== pending) return;
      this.table.delete(id);
      const message = `timeout reached: only ${pending.received} responses received out of ${pending.expected} (${what})`;
      pending.done(new RedisAdapterError("ROOMCAST_ERR_REDIS_TIMEOUT", message));
    }, timeoutMs);
    this.table.set(id, pending);
    return id;
  }

  /** Whether request `id` is pending (this server sent it). */
  has(id: string): boolean {
    return this.table.has(id);
  }

  /** Counts one answer to request `id`; returns false if no such request is pending. */
  answer(id: string, answer: Record<string, unknown>): boolean {
    const pending = this.table.get(id);
    if (pending === undefined) return false;
    pending.received++;
    pending.collect(answer);
    if (pending.received >= pending.expected) this.finish(id, pending, null);
    return true;
  }

  /** Ends every pending request with `err` (on close). */
  failAll(err: RedisAdapterError): void {
    for (const [id, pending] of this.table) this.finish(id, pending, err);
  }

  private finish(id: string, pending: Pending, err: RedisAdapterError | null): void {
    this.table.delete(id);
    clearTimeout(pending.timer);
    pending.done(err);
  }
}

class AckRequest {
  timer: NodeJS.Timeout | undefined = undefined;

  constructor(
    readonly clientCount: (count: number) => void,
    readonly ack: AckCallback,
  ) {}
}

/**
 * Broadcasts with acknowledgement sent to the other servers: their client counts and their
 * clients' answers come back through here until the broadcast's timeout. The broadcast's own
 * tracker decides completion; this table only routes answers and forgets the entry in time.
 */
export class AckRequests {
  private readonly table = new Map<string, AckRequest>();

  /**
   * Registers a broadcast; answers are routed until `lifetimeMs` has passed.
   *
   * @returns its request id, or undefined when {@link MAX_PENDING} are pending already.
   */
  open(lifetimeMs: number, clientCount: (count: number) => void, ack: AckCallback): string | undefined {
    if (this.table.size >= MAX_PENDING) return undefined;
    const id = randomId();
    const request = new AckRequest(clientCount, ack);
    request.timer = setTimeout(() => {
      if (this.table.get(id) === request) this.table.delete(id);
    }, lifetimeMs);
    this.table.set(id, request);
    return id;
  }

  /** Whether broadcast `id` is pending (this server sent it). */
  has(id: string): boolean {
    return this.table.has(id);
  }

  /** A server reported how many of its clients it sent broadcast `id` to. */
  onClientCount(id: string, count: number): void {
    this.table.get(id)?.clientCount(count);
  }

  /** A client of another server answered broadcast `id`. */
  onAck(id: string, response: unknown): void {
    this.table.get(id)?.ack(response);
  }

  /** Forgets every broadcast (on close). */
  clear(): void {
    for (const request of this.table.values()) clearTimeout(request.timer);
    this.table.clear();
  }
}
