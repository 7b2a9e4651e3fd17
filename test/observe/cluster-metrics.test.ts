/**
 * [observe] The Redis adapter's counters against the real Redis (a unique channel prefix: Redis
 * is shared): messages published and received by each node, and the errors it reported, counted
 * whether or not anyone listens to the adapter's `error` event.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, waitFor } from "../support/harness.ts";
import { member, REDIS_URL, redisAvailable, startNode, uniqueKey, untilMarker } from "../cluster/support.ts";
import { byLabel, scrape, single } from "./exposition.ts";

const available = await redisAvailable();

afterEach(cleanup);

async function clusterFigures(port: number): Promise<Record<string, unknown>> {
  const f = await scrape(port);
  return {
    published: single(f, "roomcast_cluster_published_total"),
    received: single(f, "roomcast_cluster_received_total"),
    errors: byLabel(f, "roomcast_cluster_errors_total", "code"),
    broadcasts: single(f, "roomcast_broadcasts_total"),
    sent: single(f, "roomcast_events_sent_total"),
  };
}

describe.runIf(available)("[observe] Redis adapter metrics", () => {
  it("counts each node's published and received messages and its errors", async () => {
    const key = uniqueKey("metrics");
    const mode = { kind: "classic" } as const;
    const A = await startNode("A", key, mode, REDIS_URL, { metrics: { path: "/metrics" } });
    const B = await startNode("B", key, mode, REDIS_URL, { metrics: { path: "/metrics" } });
    const mA = await member(A);
    const mB = await member(B);

    // A broadcast from A: published once; B receives it, and A its own echo (pattern mode).
    const arrived = [mA.rec.until("b1"), mB.rec.until("b1")];
    A.io.emit("b1");
    await Promise.all(arrived);
    // A server-side event from B: one request published, received by A and by B itself.
    const hello = waitFor(A.io, "hello");
    B.io.serverSideEmit("hello");
    await hello;
    // A message no adapter can decode: each node reports ROOMCAST_ERR_REDIS_BAD_MESSAGE (nobody
    // listens to `error` here, and it is counted all the same).
    await A.pub.publish(`${key}#/#`, Buffer.from([0xc1]));
    // A barrier through Redis: once it is delivered, each node has handled everything before it.
    await untilMarker(A, [mA, mB]);

    expect(await clusterFigures(A.port)).toEqual({
      published: 1,
      received: 4, // own echo of b1, B's request, the bad message, the barrier
      errors: { ROOMCAST_ERR_REDIS_BAD_MESSAGE: 1 },
      broadcasts: 1,
      sent: 2, // b1 and the marker, to mA
    });
    expect(await clusterFigures(B.port)).toEqual({
      published: 1,
      received: 4, // b1, own echo of the request, the bad message, the barrier
      errors: { ROOMCAST_ERR_REDIS_BAD_MESSAGE: 1 },
      broadcasts: 0,
      sent: 2, // b1 and the marker, to mB
    });
  });
});
