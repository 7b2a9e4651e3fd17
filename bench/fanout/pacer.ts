/**
 * The offered-rate schedule of the latency mode: `count` sends at `ratePerSec`, send i due at
 * start + i × interval. Due times are computed from the start, never from the previous send, so
 * timer lateness does not accumulate. When a send is due in the future the pacer sleeps until
 * then; when it is already due (the server is behind) it sends without sleeping, yielding one
 * event-loop turn between sends so the server can flush and read its sockets (as the saturation
 * scenarios do). It reports the rate it achieved and how late the sends were.
 */
import { setTimeout as sleep, setImmediate as turn } from "node:timers/promises";
import { quantileSorted } from "../stats.ts";
import type { PaceReport } from "./ipc.ts";

/**
 * Runs `send(0)` … `send(count - 1)` on the schedule and reports how it kept to it.
 *
 * @param send - makes send i (a broadcast); its own timestamp is taken inside.
 */
export async function runPaced(count: number, ratePerSec: number, send: (i: number) => void): Promise<PaceReport> {
  const interval = 1000 / ratePerSec;
  const lags = new Float64Array(count);
  const start = performance.now();
  let lastSend = start;
  for (let i = 0; i < count; i++) {
    const due = start + i * interval;
    let wait = due - performance.now();
    if (wait <= 0 && i > 0) await turn();
    // Timers truncate to whole milliseconds and may wake early: sleep again until due.
    while (wait > 0) {
      await sleep(wait);
      wait = due - performance.now();
    }
    lastSend = performance.now();
    lags[i] = Math.max(0, lastSend - due);
    send(i);
  }
  const sorted = lags.sort();
  return {
    offeredPerSec: ratePerSec,
    achievedPerSec: (count * 1000) / (lastSend - start + interval),
    lagP50Ms: quantileSorted(sorted, 0.5),
    lagP99Ms: quantileSorted(sorted, 0.99),
    lagMaxMs: quantileSorted(sorted, 1),
    lateSends: sorted.filter((lag) => lag > interval).length,
  };
}
