/**
 * A broadcast with acknowledgements and no `timeout()` on a cluster: answers from other nodes are
 * routed for `requestsTimeout` only, so the broadcast must end then (with the answers so far)
 * instead of waiting forever for an answer that can no longer arrive.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanup } from "../support/harness.ts";
import { member, redisAvailable, settled, startCluster, uniqueKey, type ClusterMode } from "./support.ts";

const available = await redisAvailable();

afterEach(cleanup);

const modes: Array<[string, ClusterMode]> = [
  ["classic", { kind: "classic", options: { requestsTimeout: 300 } }],
  ["sharded", { kind: "sharded", options: { requestsTimeout: 300 } }],
];

describe.runIf(available).each(modes)("cluster broadcast acks without timeout (%s)", (name, mode) => {
  it("end after requestsTimeout with the answers received, when a client on another node never answers", async () => {
    const nodes = await startCluster(2, uniqueKey(`ack-deadline-${name}`), mode);
    const [A, B] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const a1 = await member(A);
    const b1 = await member(B);
    await settled(nodes);
    a1.client.on("question", (ack: (answer: string) => void) => ack("from-a1"));
    b1.client.on("question", () => {});
    await expect(A.io.emitWithAck("question")).rejects.toMatchObject({
      message: "operation has timed out",
      responses: ["from-a1"],
    });
  });
});
