/**
 * The probe phase of a polling → WebSocket upgrade, on the new transport, before the session
 * moves to it.
 *
 * [EIO4:upgrade] The client opens a WebSocket carrying the session's sid and sends `2probe`; the
 * server answers `3probe` on that WebSocket. The client then lets its current poll complete
 * (the server releases it with a noop), stops polling, and sends `5` on the WebSocket: from then
 * on the session lives there. Anything else on the WebSocket before `5`, a close, or no `5`
 * within upgradeTimeout cancels the upgrade: the WebSocket is closed, the session stays on polling.
 */
import type { EnginePacket, Transport, TransportSink } from "./transport.ts";

const PROBE_ANSWER: EnginePacket = Object.freeze({ type: "pong", data: "probe" });

/** How a {@link TransportUpgrade} reports back to its session. */
export interface UpgradeHost {
  /** `2probe` was answered: the session should release a pending poll. */
  onUpgradeProbed(upgrade: TransportUpgrade): void;
  /** The client sent `5`: the session should move to `upgrade.transport`. */
  onUpgradeComplete(upgrade: TransportUpgrade): void;
  /** The upgrade failed and its transport is closed; the session carries on. */
  onUpgradeFailed(upgrade: TransportUpgrade): void;
}

/**
 * One upgrade attempt: owns the new transport until the client confirms (`5`) or the attempt fails.
 *
 * @example
 * ```ts
 * const upgrade = new TransportUpgrade(session, new WebSocketTransport(ws, socket), 10_000);
 * ```
 */
export class TransportUpgrade implements TransportSink {
  /** The transport being probed. */
  readonly transport: Transport;
  /** True once `2probe` has been answered. */
  probed = false;

  private readonly host: UpgradeHost;
  private timer: NodeJS.Timeout | undefined;

  /**
   * Becomes the new transport's sink and starts the upgradeTimeout clock.
   *
   * @param host - the session being upgraded.
   * @param transport - the new transport (a WebSocket).
   * @param timeoutMs - upgradeTimeout.
   */
  constructor(host: UpgradeHost, transport: Transport, timeoutMs: number) {
    this.host = host;
    this.transport = transport;
    transport.sink = this;
    this.timer = setTimeout(TransportUpgrade.onTimeout, timeoutMs, this);
  }

  /** Abandons the attempt (the session closed): closes the new transport, reports nothing. */
  cancel(): void {
    this.stop();
    this.transport.close();
  }

  private static onTimeout(upgrade: TransportUpgrade): void {
    upgrade.fail();
  }

  /** @internal A packet on the probed transport. */
  onTransportPacket(packet: EnginePacket): void {
    if (!this.probed && packet.type === "ping" && packet.data === "probe") {
      this.probed = true;
      this.transport.send([PROBE_ANSWER]);
      this.host.onUpgradeProbed(this);
      return;
    }
    if (this.probed && packet.type === "upgrade") {
      this.stop();
      this.host.onUpgradeComplete(this);
      return;
    }
    // Out of sequence (a message before `5`, a second probe, `5` before any probe...).
    this.fail();
  }

  /** @internal The probed transport failed: the upgrade fails with it. */
  onTransportError(): void {
    this.fail();
  }

  /** @internal The probed transport closed: the upgrade fails. */
  onTransportClose(): void {
    this.fail();
  }

  /** @internal Nothing waits for a drain during the probe. */
  onTransportDrain(): void {}

  private fail(): void {
    if (this.timer === undefined) return; // already finished
    this.stop();
    this.transport.close();
    this.host.onUpgradeFailed(this);
  }

  private stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.transport.sink === this) this.transport.sink = null;
  }
}
