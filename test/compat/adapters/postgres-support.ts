/**
 * PostgreSQL for the `@socket.io/postgres-adapter` tests: the address (PG_URL), the availability
 * check (a FAILURE under CI=true, a skip otherwise, as for Redis in test/cluster/support.ts), and
 * pools whose attachment table is this run's own (the database is shared).
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { onCleanup } from "../../support/harness.ts";

/** The database the tests use (trust auth on 127.0.0.1; `.ci/run` makes sure it is there). */
export const PG_URL = process.env.PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/**
 * Whether PostgreSQL answers at PG_URL. When it does not and CI=true, throws: the tests must
 * fail, not skip, in CI.
 */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  client.on("error", () => {});
  let ok = false;
  try {
    await client.connect();
    ok = (await client.query("SELECT 1 AS one")).rows[0]?.one === 1;
  } catch {
    ok = false;
  } finally {
    await client.end().catch(() => {});
  }
  if (!ok && process.env.CI === "true") {
    throw new Error(`PostgreSQL is unreachable at ${PG_URL} and CI=true: the PostgreSQL tests cannot be skipped`);
  }
  return ok;
}

/** A name no other run uses (a table or a channel prefix; lower case, valid unquoted in SQL). */
export function uniqueName(name: string): string {
  return `roomcast_test_${name}_${randomBytes(4).toString("hex")}`;
}

/**
 * A pool (ended by cleanup()). Two connections: the adapter holds one for LISTEN, so its
 * NOTIFYs all go through the other, one after another, in the order they were sent (what the
 * scenario's ordering barrier relies on; a bigger pool may reorder two broadcasts).
 */
export function pool(): pg.Pool {
  const p = new pg.Pool({ connectionString: PG_URL, max: 2 });
  p.on("error", () => {});
  onCleanup(() => p.end());
  return p;
}

/** Creates the attachment table the adapter stores large and binary messages in (dropped by cleanup()). */
export async function attachmentTable(p: pg.Pool, table: string): Promise<void> {
  await p.query(`CREATE TABLE ${table} (id bigserial UNIQUE, created_at timestamptz DEFAULT NOW(), payload bytea)`);
  onCleanup(async () => {
    await p.query(`DROP TABLE IF EXISTS ${table}`);
  });
}
