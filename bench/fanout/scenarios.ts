/**
 * The fan-out scenarios: who joins which room, who must receive, and which broadcast call the
 * server makes. Shared by the orchestrator, the server and the load generator so that all three
 * agree on the plan without sending it over IPC.
 */

/** Scenario ids, as bench/README.md lists them. */
export type ScenarioId = "a" | "b" | "c" | "d" | "e" | "f";

/** Every scenario id, in report order. */
export const SCENARIO_IDS: readonly ScenarioId[] = ["a", "b", "c", "d", "e", "f"];

/** The broadcast call the server makes (see bench/fanout/server.ts). */
export type BroadcastKind = "room" | "union" | "sender" | "except";

/** One scenario: its label, the broadcast it makes and how many broadcasts per event-loop turn. */
export interface ScenarioDef {
  readonly id: ScenarioId;
  readonly title: string;
  /** The broadcast the server makes; for the ramp, the one-message delivery check after it. */
  readonly kind: BroadcastKind;
  /** Broadcasts per event-loop turn (the server awaits `setImmediate` between bursts). */
  readonly burst: number;
  /** True for the connect + join ramp, measured per connection instead of per message. */
  readonly ramp: boolean;
}

/** The scenario table. */
export const SCENARIOS: Readonly<Record<ScenarioId, ScenarioDef>> = {
  a: { id: "a", title: "io.to(room)", kind: "room", burst: 1, ramp: false },
  b: { id: "b", title: "io.to(r0).to(r1).to(r2)", kind: "union", burst: 1, ramp: false },
  c: { id: "c", title: "socket.to(room)", kind: "sender", burst: 1, ramp: false },
  d: { id: "d", title: "connect+join ramp", kind: "room", burst: 1, ramp: true },
  e: { id: "e", title: "io.except(room)", kind: "except", burst: 1, ramp: false },
  f: { id: "f", title: "io.to(room) x10/turn", kind: "room", burst: 10, ramp: false },
};

/** What one load-generator client does and what it must receive. */
export interface ClientPlan {
  /** Rooms to join through the `join` event; null to only connect to the main namespace. */
  readonly rooms: string[] | null;
  /** "sender" marks the socket the server uses for `socket.to(room)` (scenario c). */
  readonly role: "member" | "sender";
  /** Whether this client is an intended recipient of every broadcast. */
  readonly expect: boolean;
}

/** Sizes a plan is built from. */
export interface PlanSizes {
  /** Intended recipients per broadcast (about; c has n - 1, the sender excluded). */
  readonly n: number;
  /** Clients in the connect + join ramp (scenario d). */
  readonly ramp: number;
}

const MEMBER_R0: ClientPlan = { rooms: ["r0"], role: "member", expect: true };
const OUTSIDER: ClientPlan = { rooms: ["o"], role: "member", expect: false };

/** Clients that are connected but must receive nothing (5% of n, at least 2). */
function outsiders(n: number): ClientPlan[] {
  const count = Math.max(2, Math.ceil(n / 20));
  return Array.from({ length: count }, () => OUTSIDER);
}

/**
 * The rooms of client `i` in the union scenario: evens in r0, multiples of 3 in r1, and r2
 * holds the rest plus the multiples of 5 — so the union is every client, and ids appear in 1
 * to 3 of the rooms, interleaved.
 */
export function unionRooms(i: number): string[] {
  const rooms: string[] = [];
  if (i % 2 === 0) rooms.push("r0");
  if (i % 3 === 0) rooms.push("r1");
  if (rooms.length === 0 || i % 5 === 0) rooms.push("r2");
  return rooms;
}

/**
 * The client plans of scenario `id`, in connection order.
 *
 * @example
 * clientPlans("c", { n: 1000, ramp: 2000 }).filter((p) => p.expect).length; // 999
 */
export function clientPlans(id: ScenarioId, sizes: PlanSizes): ClientPlan[] {
  const n = sizes.n;
  switch (id) {
    case "a":
    case "f":
      return [...Array.from({ length: n }, () => MEMBER_R0), ...outsiders(n)];
    case "b":
      return [
        ...Array.from({ length: n }, (_, i): ClientPlan => ({ rooms: unionRooms(i), role: "member", expect: true })),
        ...outsiders(n),
      ];
    case "c":
      // The room has n members, one of them the sender, who must not receive its own broadcast.
      return [
        { rooms: ["r0"], role: "sender", expect: false },
        ...Array.from({ length: n - 1 }, () => MEMBER_R0),
        ...outsiders(n),
      ];
    case "d":
      return Array.from({ length: sizes.ramp }, () => MEMBER_R0);
    case "e": {
      // A quarter of n more clients sit in the excluded room "x".
      const excluded: ClientPlan = { rooms: ["x"], role: "member", expect: false };
      const included: ClientPlan = { rooms: ["p"], role: "member", expect: true };
      const plans: ClientPlan[] = [];
      const x = Math.max(1, Math.ceil(n / 4));
      // Every fifth client is excluded, so neither group is one contiguous block of ids.
      let i = 0;
      let j = 0;
      while (i < n || j < x) {
        if (j < x && (i >= n || plans.length % 5 === 4)) {
          plans.push(excluded);
          j++;
        } else {
          plans.push(included);
          i++;
        }
      }
      return plans;
    }
  }
}

/** Parses a comma-separated scenario list ("a,c,f"); throws on an unknown id. */
export function parseScenarioList(list: string): ScenarioId[] {
  const ids: ScenarioId[] = [];
  for (const raw of list.split(",")) {
    const id = raw.trim();
    if (id === "") continue;
    const known = SCENARIO_IDS.find((s) => s === id);
    if (known === undefined) throw new Error(`unknown scenario "${id}" (known: ${SCENARIO_IDS.join(",")})`);
    if (!ids.includes(known)) ids.push(known);
  }
  return ids;
}
