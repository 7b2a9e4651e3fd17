/**
 * The scenario every adapter of socket.io's ecosystem runs on roomcast: two servers joined by the
 * adapter, official clients spread over both (a1, a2 on A; b1, b2 on B; room "red" = a1 + b1),
 * set up once per adapter. Each test checks one cross-node behaviour:
 * - a room broadcast reaches each member once (binary included) and nobody else;
 * - `socket.broadcast` and `except` exclude across nodes;
 * - `fetchSockets` returns the members of both nodes, with their data and rooms;
 * - `serverSideEmit` with an ack is answered by the other node, both ways;
 * - a broadcast with acks (`io.timeout(…).emitWithAck`, and without a timeout) gathers the
 *   answers of both nodes.
 * Absence is checked with an ordering barrier: once the broadcast under test has arrived where
 * it should, a `marker` broadcast from the same origin must be the next event of every client.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanup, connectRecorded, names, waitFor, type ClientSocket, type Received } from "../../support/harness.ts";
import type { Action, FetchedSocket } from "./actions.ts";

/** A server of the scenario, whatever process it runs in. */
export interface ScenarioNode {
  /** "A" or "B". */
  readonly name: string;
  /** Where clients connect (`http://127.0.0.1:PORT`). */
  readonly url: string;
  /** Runs a server-side action on this node. */
  run(action: Action): Promise<unknown>;
}

/** Two servers joined by an adapter, ready to deliver (their adapters subscribed). */
export interface ScenarioCluster {
  nodes: [ScenarioNode, ScenarioNode];
  /**
   * Called once the clients have joined their rooms: resolves when the adapters have caught up
   * with those joins (a sharded adapter subscribes to a room's channel when it is created).
   */
  settled?(): Promise<void>;
}

interface Member {
  name: string;
  node: ScenarioNode;
  client: ClientSocket;
  id: string;
  rec: { events: Received[]; until(marker: string): Promise<Received[]> };
}

/**
 * Defines the scenario's tests for one adapter.
 *
 * @param title - the describe title (the adapter and its client).
 * @param start - starts the two servers (registering their shutdown with the harness' cleanup).
 * @param enabled - false to skip (the service the adapter needs is not there).
 */
export function describeAdapterScenario(title: string, start: () => Promise<ScenarioCluster>, enabled = true): void {
  describe.runIf(enabled)(title, () => {
    let A: ScenarioNode;
    let B: ScenarioNode;
    let a1: Member, a2: Member, b1: Member, b2: Member;
    let all: Member[];

    async function join(name: string, node: ScenarioNode): Promise<Member> {
      const { client, rec } = await connectRecorded(node.url);
      const id = client.id as string;
      client.on("q", (ack: (answer: string) => void) => ack(name));
      return { name, node, client, id, rec };
    }

    /** What each member received before `marker`, which `origin` then sends to everyone. */
    async function beforeMarker(origin: ScenarioNode): Promise<Received[][]> {
      const received = all.map((m) => m.rec.until("marker"));
      await origin.run({ op: "emit", event: "marker", args: [] });
      return Promise.all(received);
    }

    /**
     * Has `origin` broadcast (`action`), awaits its event at each of `expected`, then checks that
     * nobody received anything else: a `marker` from `origin` comes next for everyone. The marker
     * is sent once the broadcast arrived, so an adapter whose messages may overtake each other
     * (the PostgreSQL one sends a binary message in two queries) cannot pass it off as absent.
     * Returns the broadcast's arguments as each of `expected` received them.
     */
    async function expectDelivery(origin: ScenarioNode, action: Action & { event: string }, expected: Member[]): Promise<unknown[][]> {
      const args = expected.map((m) => waitFor(m.client, action.event));
      const before = expected.map((m) => m.rec.until(action.event));
      await origin.run(action);
      expect((await Promise.all(before)).map(names)).toEqual(expected.map(() => []));
      expect((await beforeMarker(origin)).map(names)).toEqual(all.map(() => []));
      return Promise.all(args);
    }

    beforeAll(async () => {
      const cluster = await start();
      [A, B] = cluster.nodes;
      a1 = await join("a1", A);
      a2 = await join("a2", A);
      b1 = await join("b1", B);
      b2 = await join("b2", B);
      all = [a1, a2, b1, b2];
      for (const m of [a1, b1]) await m.node.run({ op: "join", id: m.id, room: "red" });
      for (const m of all) await m.node.run({ op: "setData", id: m.id, data: { name: m.name, node: m.node.name } });
      await cluster.settled?.();
    });

    afterAll(cleanup);

    it("a room broadcast reaches each member once, on both nodes, and nobody else", async () => {
      const received = await expectDelivery(A, { op: "emit", to: ["red"], event: "red", args: [1, Buffer.from([1, 2, 3])] }, [a1, b1]);
      for (const [n, bytes] of received) {
        expect(n).toBe(1);
        expect(Buffer.from(bytes as ArrayBuffer)).toEqual(Buffer.from([1, 2, 3]));
      }
      await expectDelivery(B, { op: "emit", to: ["red", b2.id], event: "red-or-b2", args: [] }, [a1, b1, b2]);
    });

    it("socket.broadcast and except exclude across nodes", async () => {
      await expectDelivery(A, { op: "socketBroadcast", id: a1.id, event: "from-a1", args: [] }, [a2, b1, b2]);
      await expectDelivery(B, { op: "emit", except: ["red"], event: "not-red", args: [] }, [a2, b2]);
      await expectDelivery(B, { op: "emit", to: ["red"], except: [a1.id], event: "red-but-a1", args: [] }, [b1]);
    });

    it("fetchSockets returns the members of both nodes, with their data and rooms", async () => {
      const red = (await A.run({ op: "fetchSockets", to: ["red"] })) as FetchedSocket[];
      const byId = (list: FetchedSocket[]) => [...list].sort((x, y) => x.id.localeCompare(y.id));
      const expected = byId(
        [a1, b1].map((m) => ({ id: m.id, rooms: [m.id, "red"].sort(), data: { name: m.name, node: m.node.name } })),
      );
      expect(byId(red)).toEqual(expected);
      const everyone = (await B.run({ op: "fetchSockets" })) as FetchedSocket[];
      expect(everyone.map((s) => s.id).sort()).toEqual(all.map((m) => m.id).sort());
      const others = (await B.run({ op: "fetchSockets", except: ["red"] })) as FetchedSocket[];
      expect(others.map((s) => s.id).sort()).toEqual([a2.id, b2.id].sort());
    });

    it("serverSideEmit with an ack is answered by the other node, both ways", async () => {
      expect(await A.run({ op: "serverSideEmitWithAck", event: "ping" })).toEqual(["pong from B"]);
      expect(await B.run({ op: "serverSideEmitWithAck", event: "ping" })).toEqual(["pong from A"]);
    });

    it("a broadcast with acks gathers the answers of the clients of both nodes", async () => {
      const answers = (await A.run({ op: "emitWithAck", event: "q", timeout: 5000 })) as string[];
      expect([...answers].sort()).toEqual(["a1", "a2", "b1", "b2"]);
      const red = (await B.run({ op: "emitWithAck", to: ["red"], event: "q", timeout: 5000 })) as string[];
      expect([...red].sort()).toEqual(["a1", "b1"]);
    });

    it("a broadcast with acks and no timeout gathers them too", async () => {
      // socket.io's adapters keep a broadcast's acks only for its timeout: roomcast gives them one.
      const answers = (await B.run({ op: "emitWithAck", except: [b2.id], event: "q" })) as string[];
      expect([...answers].sort()).toEqual(["a1", "a2", "b1"]);
    });
  });
}
