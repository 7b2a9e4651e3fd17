/**
 * Everything a run counts, fed by the clients: connections and their times, failures by kind,
 * ready members per room, messages sent and expected, deliveries and their latency, and a
 * once-a-second timeline.
 */
import type { ClientSink, FailureKind, LoadClient } from "./client.ts";
import { Histogram } from "./histogram.ts";
import { epochNow, readStampIn } from "./wire.ts";

/** How many error messages the report quotes (all are counted). */
const ERROR_SAMPLES = 10;

/** One second of the run, cumulative counts. */
export interface TimelinePoint {
  /** Seconds since the run started. */
  t: number;
  /** Clients ready at that moment. */
  ready: number;
  failed: number;
  sent: number;
  received: number;
}

/** The counts of one run. */
export class Tally implements ClientSink {
  /** Tells this run's messages from those of another load test sharing the rooms. */
  readonly run: string;
  readonly connectMs = new Histogram();
  readonly joinMs = new Histogram();
  readonly latencyMs = new Histogram();
  readonly failures = new Map<FailureKind, number>();
  readonly errorSamples: string[] = [];
  readonly timeline: TimelinePoint[] = [];
  /** Ready clients per room (rooms with fewer than two make no deliveries). */
  readonly readyInRoom = new Map<string, number>();
  connected = 0;
  joined = 0;
  ready = 0;
  failed = 0;
  dropped = 0;
  sent = 0;
  /** Deliveries to other members the messages sent should make, counted at send time. */
  expected = 0;
  received = 0;
  /** This run's messages that came back to their own sender. */
  echoes = 0;
  /** Stamped messages of another run. */
  foreign = 0;
  /** Events without a stamp (the server's own: notices, room lists…). */
  otherEvents = 0;
  /** performance.now() of the last delivery. */
  lastReceiveAt = 0;
  /** Called after every failure or ready client (the ramp awaits these). */
  onSettled: (() => void) | undefined;
  /** Called after every delivery (the drain awaits these). */
  onDelivery: (() => void) | undefined;

  constructor(run: string) {
    this.run = run;
  }

  /** Clients that are ready or have failed. */
  get settled(): number {
    return this.ready + this.failed + this.dropped;
  }

  onConnected(_client: LoadClient, ms: number): void {
    this.connected++;
    this.connectMs.record(ms);
  }

  onJoined(_client: LoadClient, ms: number): void {
    this.joined++;
    this.joinMs.record(ms);
  }

  onReady(client: LoadClient): void {
    this.ready++;
    if (client.room !== undefined) this.readyInRoom.set(client.room, (this.readyInRoom.get(client.room) ?? 0) + 1);
    this.onSettled?.();
  }

  onFailed(_client: LoadClient, kind: FailureKind, message: string): void {
    this.failed++;
    this.error(kind, message);
    this.onSettled?.();
  }

  onDropped(client: LoadClient, message: string): void {
    this.ready--;
    this.dropped++;
    if (client.room !== undefined) this.readyInRoom.set(client.room, (this.readyInRoom.get(client.room) ?? 1) - 1);
    this.error("disconnected", `client ${client.index}: ${message}`);
  }

  onEvent(client: LoadClient, packet: string): void {
    const stamp = readStampIn(packet);
    if (stamp === undefined) {
      this.otherEvents++;
      return;
    }
    if (stamp.run !== this.run) this.foreign++;
    else if (stamp.sender === client.index) this.echoes++;
    else {
      this.received++;
      this.latencyMs.record(epochNow() - stamp.stamp);
      this.lastReceiveAt = performance.now();
      this.onDelivery?.();
    }
  }

  /** Counts a message `sender` is about to send to its room. */
  countSend(sender: LoadClient): void {
    this.sent++;
    this.expected += Math.max(0, (sender.room === undefined ? 0 : (this.readyInRoom.get(sender.room) ?? 0)) - 1);
  }

  /** Errors by kind, in the order first seen. */
  errorCounts(): Record<string, number> {
    return Object.fromEntries(this.failures);
  }

  /** Appends a timeline point `t` seconds into the run. */
  sample(t: number): void {
    this.timeline.push({ t, ready: this.ready, failed: this.failed + this.dropped, sent: this.sent, received: this.received });
  }

  private error(kind: FailureKind, message: string): void {
    this.failures.set(kind, (this.failures.get(kind) ?? 0) + 1);
    if (this.errorSamples.length < ERROR_SAMPLES) this.errorSamples.push(`${kind}: ${message}`);
  }
}
