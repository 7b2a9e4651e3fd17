/**
 * The in-memory stores of connection state recovery, alone: the packet log (ring, both
 * bounds, lookup by position), the session store (expiry from the head), the replay rule and
 * the option's validation.
 */
import { describe, expect, it } from "vitest";
import { resolveRecoveryOptions } from "../../src/recovery/options.ts";
import { PacketLog } from "../../src/recovery/packet-log.ts";
import { Replay } from "../../src/recovery/replay.ts";
import { SessionStore } from "../../src/recovery/session-store.ts";
import { isMissed, type LoggedPacket } from "../../src/recovery/types.ts";

const ROOMS = new Set(["r"]);

function fill(log: PacketLog, count: number, at: number): void {
  for (let i = 0; i < count; i++) log.append(["m", i], ROOMS, undefined, at);
}

function seqs(log: PacketLog, after: number): number[] | undefined {
  return log.after(after)?.map((e) => e.seq);
}

describe("PacketLog", () => {
  it("numbers entries from 1 and returns those after a position, oldest first", () => {
    const log = new PacketLog(100, 1000);
    expect(log.lastSeq).toBe(0);
    expect(seqs(log, 0)).toEqual([]);
    fill(log, 5, 0);
    expect(log.lastSeq).toBe(5);
    expect(seqs(log, 0)).toEqual([1, 2, 3, 4, 5]);
    expect(seqs(log, 3)).toEqual([4, 5]);
    expect(seqs(log, 5)).toEqual([]);
  });

  it("refuses a position in the future", () => {
    const log = new PacketLog(100, 1000);
    fill(log, 3, 0);
    expect(log.after(4)).toBeUndefined();
  });

  it("grows past its first allocation and wraps around, keeping the order", () => {
    const log = new PacketLog(100, 1000);
    fill(log, 250, 0);
    expect(log.size).toBe(100);
    expect(seqs(log, 200)).toEqual(Array.from({ length: 50 }, (_, i) => 201 + i));
    expect(log.after(250)).toEqual([]);
  });

  it("drops the oldest entry when full, and then refuses positions before it (they may have missed it)", () => {
    const log = new PacketLog(3, 1000);
    fill(log, 5, 0);
    expect(log.size).toBe(3);
    expect(seqs(log, 2)).toEqual([3, 4, 5]);
    // 2 was pushed out by the count bound: a client at 1 may have missed it.
    expect(log.after(1)).toBeUndefined();
  });

  it("drops entries older than the retention, and still serves positions before them (they were delivered)", () => {
    const log = new PacketLog(100, 1000);
    fill(log, 3, 0);
    log.append(["late"], ROOMS, undefined, 1500);
    expect(log.size).toBe(1);
    expect(seqs(log, 1)).toEqual([4]);
    log.expire(2600);
    expect(log.size).toBe(0);
    expect(log.nextExpiry).toBeUndefined();
    expect(seqs(log, 4)).toEqual([]);
  });

  it("reports when its oldest entry ages out", () => {
    const log = new PacketLog(100, 1000);
    log.append(["m"], ROOMS, undefined, 50);
    expect(log.nextExpiry).toBe(1050);
  });
});

describe("SessionStore", () => {
  const state = (pid: string) => ({ sid: `sid-${pid}`, pid, rooms: [`sid-${pid}`], data: {} });

  it("expires sessions from the head, in the order they were stored", () => {
    const store = new SessionStore(1000);
    store.put(state("a"), 0, 100);
    store.put(state("b"), 0, 200);
    store.put(state("a"), 0, 300); // a second disconnect moves it to the back
    expect(store.nextExpiry).toBe(200);
    const expired: string[] = [];
    store.expire(250, (pid) => expired.push(pid));
    expect(expired).toEqual(["b"]);
    expect(store.size).toBe(1);
  });

  it("lets one restore at a time claim a session, and gives it back when released", () => {
    const store = new SessionStore(1000);
    store.put(state("a"), 7, 100);
    expect(store.claim("a", 50)?.since).toBe(7);
    expect(store.claim("a", 50)).toBeUndefined();
    store.release("a");
    expect(store.claim("a", 50)?.state.sid).toBe("sid-a");
  });

  it("refuses an expired session even before the sweep removed it", () => {
    const store = new SessionStore(1000);
    store.put(state("a"), 0, 100);
    expect(store.claim("a", 100)).toBeUndefined();
    expect(store.size).toBe(0);
  });
});

describe("the replay rule", () => {
  const packet = (rooms: string[], except: string[] = []): LoggedPacket => ({
    data: ["m"],
    rooms: new Set(rooms),
    except: except.length > 0 ? new Set(except) : undefined,
  });
  const mine = new Set(["me", "lobby"]);

  it("keeps broadcasts to everyone and to one of the socket's rooms", () => {
    expect(isMissed(mine, packet([]))).toBe(true);
    expect(isMissed(mine, packet(["other", "lobby"]))).toBe(true);
    expect(isMissed(mine, packet(["me"]))).toBe(true);
  });

  it("skips other rooms and excluded ones (the socket's own id excludes its own broadcasts)", () => {
    expect(isMissed(mine, packet(["other"]))).toBe(false);
    expect(isMissed(mine, packet([], ["lobby"]))).toBe(false);
    expect(isMissed(mine, packet(["lobby"], ["me"]))).toBe(false);
  });

  it("gathers read packets, then observed ones above the read position, each once", () => {
    const session = { sid: "me", pid: "p", rooms: ["me", "lobby"], data: {} };
    let ended: boolean | undefined;
    const replay = new Replay<number>(session, (a, b) => a - b, (_r, resumed) => (ended = resumed));
    const p = (n: number): LoggedPacket => ({ data: ["m", n], rooms: new Set(["lobby"]), except: undefined });
    // Seen before the read came back: 2 is also in the read, 4 is not.
    replay.observe(2, p(2));
    replay.observe(4, p(4));
    replay.read([p(1), p(2), p(3)], 3);
    replay.observe(3, p(3));
    replay.observe(5, p(5));
    replay.observe(6, { data: ["other"], rooms: new Set(["x"]), except: undefined });
    expect(replay.position).toBe(6);
    expect(replay.finish().map((d) => d[1])).toEqual([1, 2, 3, 4, 5]);
    expect(ended).toBe(true);
    replay.observe(7, p(7));
    expect(replay.finish()).toEqual([]);
  });
});

describe("connectionStateRecovery option", () => {
  it("is off when absent or false, and fills socket.io's defaults", () => {
    expect(resolveRecoveryOptions(undefined, 45_000)).toBeUndefined();
    expect(resolveRecoveryOptions(false, 45_000)).toBeUndefined();
    expect(resolveRecoveryOptions({}, 45_000)).toEqual({
      maxDisconnectionDuration: 120_000,
      skipMiddlewares: true,
      maxPackets: 10_000,
      maxSessions: 100_000,
      retention: 210_000,
    });
  });

  it("refuses nonsense loudly", () => {
    expect(() => resolveRecoveryOptions({ maxDisconnectionDuration: -1 }, 0)).toThrow(TypeError);
    expect(() => resolveRecoveryOptions({ maxPackets: 1.5 }, 0)).toThrow(/maxPackets/);
    expect(() => resolveRecoveryOptions({ maxSessions: 0 }, 0)).toThrow(/maxSessions/);
    expect(() => resolveRecoveryOptions({ skipMiddlewares: "yes" }, 0)).toThrow(/skipMiddlewares/);
    expect(() => resolveRecoveryOptions({ maxDisconectionDuration: 5 }, 0)).toThrow(/unknown option/);
    expect(() => resolveRecoveryOptions(true, 0)).toThrow(/must be an object/);
  });
});
