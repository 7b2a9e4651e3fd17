/**
 * What the adapter scenario (scenario.ts) asks a node's server to do, as plain data, so that it
 * runs the same on a `Server` of this process and on one in a `node:cluster` worker (over IPC).
 */
import type { Server } from "../../../src/index.ts";

/** Targets of a broadcast: rooms (none: everyone) minus the sockets of `except`. */
export interface Targets {
  to?: string[];
  except?: string[];
}

/** One server-side operation of the scenario. */
export type Action =
  | { op: "join"; id: string; room: string }
  | { op: "setData"; id: string; data: unknown }
  | ({ op: "emit"; event: string; args: unknown[] } & Targets)
  | { op: "socketBroadcast"; id: string; event: string; args: unknown[] }
  | ({ op: "fetchSockets" } & Targets)
  | { op: "serverSideEmitWithAck"; event: string }
  | ({ op: "emitWithAck"; event: string; timeout?: number } & Targets);

/** A socket as `fetchSockets` reported it, in a serialisable form. */
export interface FetchedSocket {
  id: string;
  rooms: string[];
  data: unknown;
}

function socketOf(io: Server, id: string) {
  const socket = io.of("/").sockets.get(id);
  if (socket === undefined) throw new Error(`no socket ${id} on this node`);
  return socket;
}

function operator(io: Server, targets: Targets) {
  return io.in(targets.to ?? []).except(targets.except ?? []);
}

/**
 * Sets up what every node of the scenario answers: `ping` from another server gets
 * `pong from <name>`.
 */
export function prepareNode(io: Server, name: string): void {
  io.on("ping", (...args: unknown[]) => {
    const ack = args[args.length - 1];
    if (typeof ack === "function") ack(`pong from ${name}`);
  });
}

/** Runs `action` on `io` and returns its (serialisable) result. */
export async function perform(io: Server, action: Action): Promise<unknown> {
  switch (action.op) {
    case "join":
      await socketOf(io, action.id).join(action.room);
      return null;
    case "setData":
      socketOf(io, action.id).data = action.data as Record<string, unknown>;
      return null;
    case "emit":
      operator(io, action).emit(action.event, ...action.args);
      return null;
    case "socketBroadcast":
      socketOf(io, action.id).broadcast.emit(action.event, ...action.args);
      return null;
    case "fetchSockets": {
      const sockets = await operator(io, action).fetchSockets();
      return sockets.map((s): FetchedSocket => ({ id: s.id, rooms: [...s.rooms].sort(), data: s.data }));
    }
    case "serverSideEmitWithAck":
      return io.serverSideEmitWithAck(action.event);
    case "emitWithAck": {
      const targets = operator(io, action);
      return (action.timeout === undefined ? targets : targets.timeout(action.timeout)).emitWithAck(action.event);
    }
  }
}
