/**
 * A TCP proxy for the recovery tests: clients connect to it, it forwards to a target port that
 * the test can switch (a load balancer sending a reconnecting client to another server), and it
 * can cut every connection and refuse new ones for a while (a network outage).
 */
import net from "node:net";
import { onCleanup } from "../support/harness.ts";

/** A switchable TCP forwarder on 127.0.0.1, port 0. */
export class TcpProxy {
  /** Where new connections are forwarded. */
  target: number;
  private readonly server: net.Server;
  private readonly open = new Set<net.Socket>();
  /** The client-side sockets, whose bytes {@link hold} stops forwarding. */
  private readonly clients = new Set<net.Socket>();
  private refusing = false;

  private constructor(target: number) {
    this.target = target;
    this.server = net.createServer((client) => this.forward(client));
  }

  /** Starts a proxy to `target`; closed by the harness' cleanup(). */
  static async start(target: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
    onCleanup(() => proxy.close());
    return proxy;
  }

  /** The port clients connect to. */
  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Drops every open connection and refuses new ones until {@link restore}. */
  cut(): void {
    this.refusing = true;
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }

  /** Accepts connections again. */
  restore(): void {
    this.refusing = false;
  }

  /** Stops forwarding what clients send (connections stay open) until {@link release}. */
  hold(): void {
    for (const client of this.clients) client.pause();
  }

  /** Forwards what clients send again, what was held first. */
  release(): void {
    for (const client of this.clients) client.resume();
  }

  /** Closes the proxy and every connection through it. */
  close(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    this.open.clear();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: net.Socket): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.target, "127.0.0.1");
    this.clients.add(client);
    client.once("close", () => this.clients.delete(client));
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.open.add(a);
      a.on("error", () => b.destroy());
      a.on("close", () => {
        this.open.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  }
}
