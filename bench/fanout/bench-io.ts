/**
 * The slice of the server API that the fan-out benchmark server (server.ts) drives, shared by
 * roomcast, socket.io and the bare floor server (bare-server.ts).
 */

/** The broadcast-operator slice every implementation offers. */
export interface BenchOperator {
  to(room: string): BenchOperator;
  except(room: string): BenchOperator;
  emit(ev: string, ...args: unknown[]): boolean;
}

/** The server-side socket slice every implementation offers. */
export interface BenchSocket {
  readonly id: string;
  join(rooms: string[]): Promise<void> | void;
  on(ev: string, listener: (...args: unknown[]) => void): unknown;
  to(room: string): BenchOperator;
}

/** The server slice every implementation offers. */
export interface BenchIo {
  on(ev: "connection", listener: (socket: BenchSocket) => void): unknown;
  to(room: string): BenchOperator;
  except(room: string): BenchOperator;
  emit(ev: string, ...args: unknown[]): boolean;
  close(): unknown;
}
