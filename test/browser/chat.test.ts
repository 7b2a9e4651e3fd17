/**
 * The chat example (examples/chat) in headless Chromium: three users, two rooms, driven
 * through the page's own inputs, asserted on the DOM.
 */
import { afterEach, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { describeInChromium } from "./support/chromium.ts";
import {
  clickRoom,
  joinRoom,
  messageWithText,
  notice,
  openChat,
  roomCount,
  say,
  startChat,
  waitForRoomCount,
  type RunningChat,
} from "./support/chat-page.ts";

describeInChromium("chat example in Chromium", (chrome) => {
  let chat: RunningChat | undefined;

  afterEach(async () => {
    await chat?.close();
    chat = undefined;
  });

  async function user(): Promise<Page> {
    chat ??= await startChat();
    const page = await chrome.newPage();
    await openChat(page, chat.url);
    return page;
  }

  it("delivers a message to the other member of its room and to nobody else", async () => {
    const alice = await user();
    const bob = await user();
    const carol = await user();
    await joinRoom(alice, "alice", "A");
    await joinRoom(bob, "bob", "A");
    await joinRoom(carol, "carol", "B");

    await say(alice, "hello from A");
    const atBob = messageWithText(bob, "hello from A");
    await atBob.waitFor();
    expect(await atBob.getAttribute("data-from")).toBe("alice");
    expect(await atBob.getAttribute("class")).toContain("theirs");
    // The sender is excluded from the broadcast: an echo would have arrived before the ack `say` awaited.
    expect(await messageWithText(alice, "hello from A").count()).toBe(1);
    expect(await alice.locator("#messages li.theirs").count()).toBe(0);

    // Barrier for room B: carol's message is handled after alice's, so its ack reaches carol
    // after anything the server wrote to her for alice's message.
    await say(carol, "hello from B");
    expect(await messageWithText(carol, "hello from A").count()).toBe(0);

    // Barrier for room A: alice speaks again after carol's message was handled; once bob has
    // that, carol's message would already be in his list had it been sent to him.
    await say(alice, "second from A");
    await messageWithText(bob, "second from A").waitFor();
    expect(await messageWithText(bob, "hello from B").count()).toBe(0);
    expect(await messageWithText(alice, "hello from B").count()).toBe(0);
    expect(await bob.locator("#messages li.message .text").allTextContents()).toEqual(["hello from A", "second from A"]);
  });

  it("shows join and leave notices to the room concerned", async () => {
    const alice = await user();
    const bob = await user();
    const carol = await user();
    await joinRoom(alice, "alice", "A");
    await joinRoom(carol, "carol", "B");

    await joinRoom(bob, "bob", "A");
    await notice(alice, "bob joined #A").waitFor();
    await notice(bob, "You joined #A with alice").waitFor();

    // Switching rooms: a leave notice in the old room, a join notice in the new one.
    await clickRoom(bob, "B");
    await notice(alice, "bob left #A").waitFor();
    await notice(carol, "bob joined #B").waitFor();
    await notice(bob, "You joined #B with carol").waitFor();

    // Closing the page is a leave too.
    await bob.close();
    await notice(carol, "bob left #B").waitFor();

    // Barrier: alice's acknowledged message was handled after every B notice above, so any
    // of them wrongly sent to her would be on her page by now.
    await say(alice, "still here");
    expect(await notice(alice, "#B").count()).toBe(0);
  });

  it("keeps the room list counts live through joins, switches and closes", async () => {
    const alice = await user();
    await alice.locator("#rooms li.empty").waitFor();

    await joinRoom(alice, "alice", "A");
    await waitForRoomCount(alice, "A", 1);

    // A newcomer gets the current list on connection.
    const bob = await user();
    await waitForRoomCount(bob, "A", 1);
    await joinRoom(bob, "bob", "A");
    await waitForRoomCount(alice, "A", 2);
    await waitForRoomCount(bob, "A", 2);
    await alice.locator("#current-room", { hasText: "in #A · 2 members" }).waitFor();

    const carol = await user();
    await joinRoom(carol, "carol", "B");
    await waitForRoomCount(alice, "B", 1);

    await clickRoom(bob, "B");
    await waitForRoomCount(alice, "A", 1);
    await waitForRoomCount(alice, "B", 2);
    await waitForRoomCount(carol, "B", 2);
    expect(await alice.locator("#rooms li.current").getAttribute("data-room")).toBe("A");
    expect(await bob.locator("#rooms li.current").getAttribute("data-room")).toBe("B");

    await carol.close();
    await waitForRoomCount(alice, "B", 1);
    await bob.close();
    await waitForRoomCount(alice, "B", 0);
    expect(await roomCount(alice, "A").textContent()).toBe("1");
    // Only chat rooms are listed, never a socket's own-id room.
    expect(await alice.locator("#rooms li[data-room]").count()).toBe(1);
  });
});
