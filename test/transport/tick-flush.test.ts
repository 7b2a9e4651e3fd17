/**
 * The end-of-tick pass that flushes every session with packets queued in the tick: its lists
 * are reused from pass to pass, and a flush that throws (a user's `flush` listener) must not
 * strand the sessions scheduled after it in the same pass.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SharedMessage } from "../../src/transport/frame.ts";
import { allowUncaught } from "../support/guard.ts";
import { cleanup, connect, startServer } from "./helpers.ts";

afterEach(cleanup);

describe("the end-of-tick flush pass", () => {
  it("still flushes the sessions after one whose `flush` listener throws", async () => {
    const fx = await startServer();
    const first = await connect(fx);
    const second = await connect(fx);
    const third = await connect(fx);
    const thrown = allowUncaught(/flush listener failed/);
    first.socket.once("flush", () => {
      throw new Error("flush listener failed");
    });
    const message = new SharedMessage("news", { compress: true });
    first.socket.sendShared(message);
    second.socket.sendShared(message);
    third.socket.sendShared(message);
    expect(((await thrown.next()) as Error).message).toBe("flush listener failed");
    expect(await second.client.nextText()).toBe("4news");
    expect(await third.client.nextText()).toBe("4news");
    // The thrower's session goes on (what its listener threw over is lost, as in engine.io,
    // where `flush` is emitted before the write too).
    first.socket.send("later");
    expect(await first.client.nextText()).toBe("4later");
  });

  it("flushes passes of different sizes one after the other, each session once per tick", async () => {
    const fx = await startServer();
    const sessions = [];
    for (let i = 0; i < 5; i++) sessions.push(await connect(fx));
    for (const size of [5, 2, 4, 1, 5]) {
      const message = new SharedMessage(`size ${size}`, { compress: true });
      for (let i = 0; i < size; i++) {
        sessions[i]?.socket.sendShared(message);
        sessions[i]?.socket.send(`own ${size}`);
      }
      for (let i = 0; i < size; i++) {
        expect(await sessions[i]?.client.nextText()).toBe(`4size ${size}`);
        expect(await sessions[i]?.client.nextText()).toBe(`4own ${size}`);
      }
    }
  });
});
