/**
 * A tiny Engine.IO v4 / Socket.IO v5 client over raw `ws`, many at once, that checks every
 * delivery: connect to `/socket.io/?EIO=4&transport=websocket&room=R`, answer `2` with `3`,
 * send `40`, then count `42["m", room, seq, payload]` frames. Each client must get its own
 * room's messages only, each seq once, in order (0, 1, 2, …).
 */
import WebSocket from "ws";

class RawClient {
  readonly ws: WebSocket;
  next = 0;
  quota = 0;

  constructor(
    readonly set: ClientSet,
    port: number,
    readonly room: string,
    onConnected: () => void,
    onFailed: (err: Error) => void,
  ) {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket&room=${encodeURIComponent(room)}`);
    this.ws.on("error", onFailed);
    this.ws.on("message", (data: WebSocket.RawData) => {
      const text = data.toString();
      if (text === '42["drain"]') return this.set.onDrain();
      if (text.startsWith("42")) return this.set.onEvent(this, text);
      if (text === "2") return this.ws.send("3");
      if (text.startsWith("0")) return this.ws.send("40");
      if (text.startsWith("40")) return onConnected();
    });
  }
}

/** N clients and the tally of what they received. */
export class ClientSet {
  readonly clients: RawClient[] = [];
  delivered = 0;
  expected = 0;
  readonly errors: string[] = [];
  private onDone: (() => void) | undefined;
  private drained = 0;
  private onDrained: (() => void) | undefined;

  /** Connects one client to `port` in `room`; resolves once its namespace CONNECT is answered. */
  add(port: number, room: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.clients.push(new RawClient(this, port, room, resolve, reject));
    });
  }

  /**
   * Starts a phase in which each client expects `quota(room)` messages of its room (seq
   * 0…quota-1); resolves when all of them arrived (at once when none are expected).
   */
  expect(quota: (room: string) => number): Promise<void> {
    this.delivered = 0;
    this.expected = 0;
    for (const c of this.clients) {
      c.next = 0;
      c.quota = quota(c.room);
      this.expected += c.quota;
    }
    if (this.expected === 0) return Promise.resolve();
    return new Promise((resolve) => (this.onDone = resolve));
  }

  /**
   * Resolves when every client got a `drain` event: sent by a node after its broadcasts, it
   * arrives behind them on every node, so then every node has handled all of them.
   */
  drain(): Promise<void> {
    this.drained = 0;
    return new Promise((resolve) => (this.onDrained = resolve));
  }

  /** @internal */
  onDrain(): void {
    if (++this.drained === this.clients.length) this.onDrained?.();
  }

  /** @internal */
  onEvent(client: RawClient, text: string): void {
    const [ev, room, seq] = JSON.parse(text.slice(2)) as [string, string, number];
    if (ev !== "m" || room !== client.room) this.fail(`client in ${client.room} got ${ev} for ${room}`);
    else if (seq !== client.next) this.fail(`client in ${client.room} got seq ${seq}, expected ${client.next}`);
    client.next = seq + 1;
    if (client.next > client.quota) this.fail(`client in ${client.room} got more than ${client.quota}`);
    if (++this.delivered === this.expected) this.onDone?.();
  }

  private fail(message: string): void {
    if (this.errors.length < 20) this.errors.push(message);
  }

  /** Closes every client. */
  close(): void {
    for (const c of this.clients) c.ws.terminate();
  }
}
