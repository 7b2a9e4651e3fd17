/**
 * Drives the chat page (examples/chat) the way a user does: type, click, read the DOM.
 * Every helper ends by awaiting a DOM condition, never a fixed delay.
 */
import type { AddressInfo } from "node:net";
import type { Locator, Page } from "playwright-core";
import { createChatServer, type ChatOptions, type ChatServerHandle } from "../../../examples/chat/server.ts";
import type { ServerOptions } from "../../../src/index.ts";

/** A running chat server on 127.0.0.1 and its base URL. */
export interface RunningChat extends ChatServerHandle {
  /** `http://127.0.0.1:PORT/`. */
  url: string;
  /** Closes roomcast and the HTTP server, dropping open connections. */
  close(): Promise<void>;
}

/** Starts the chat example on 127.0.0.1, port 0 (with roomcast's and the demo's options, if given). */
export async function startChat(opts: Partial<ServerOptions> = {}, chatOpts: ChatOptions = {}): Promise<RunningChat> {
  const chat = createChatServer(opts, chatOpts);
  await new Promise<void>((resolve, reject) => {
    chat.httpServer.once("error", reject);
    chat.httpServer.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = chat.httpServer.address() as AddressInfo;
  return { ...chat, url: `http://127.0.0.1:${port}/`, close: () => chat.io.close() };
}

/** Opens the chat in `page` and waits until its socket is connected. */
export async function openChat(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.locator("#status.connected").waitFor();
}

/**
 * Makes `page` the visible tab, as a user switching to it would. A hidden tab gets no animation
 * frames, and Playwright's click waits for two of them (element stability), which would make
 * every click in a background tab crawl.
 */
async function focus(page: Page): Promise<void> {
  await page.bringToFront();
}

/** Types a nickname and a room, clicks Join, and waits for the server's acknowledgement. */
export async function joinRoom(page: Page, nick: string, room: string): Promise<void> {
  await focus(page);
  await page.fill("#nick", nick);
  await page.fill("#room", room);
  await page.click("#join");
  await page.locator(`body[data-room="${room}"]`).waitFor();
  await page.locator("#input:not([disabled])").waitFor();
}

/**
 * Sends a message and waits until the server acknowledged it. The acknowledgement is an
 * ordering barrier: anything the server wrote to this page before handling the message has
 * arrived by then.
 */
export async function say(page: Page, text: string): Promise<void> {
  await focus(page);
  await page.fill("#input", text);
  await page.press("#input", "Enter");
  await messageWithText(page, text).and(page.locator("li.mine.sent")).waitFor();
}

/** Clicks `room` in the room list (joining it) and waits for the join to be acknowledged. */
export async function clickRoom(page: Page, room: string): Promise<void> {
  await focus(page);
  await page.click(`#rooms li[data-room="${room}"]`);
  await page.locator(`body[data-room="${room}"]`).waitFor();
}

/** The message bubbles whose text is exactly `text`. */
export function messageWithText(page: Page, text: string): Locator {
  return page.locator("#messages li.message").filter({ has: page.locator(".text", { hasText: text }) });
}

/** The notices (join / leave lines) whose text contains `text`. */
export function notice(page: Page, text: string): Locator {
  return page.locator("#messages li.notice", { hasText: text });
}

/** The member count shown for `room` in the room list. */
export function roomCount(page: Page, room: string): Locator {
  return page.locator(`#rooms li[data-room="${room}"] .count`);
}

/** Waits until the room list shows `room` with `count` members (or no `room` when count is 0). */
export async function waitForRoomCount(page: Page, room: string, count: number): Promise<void> {
  if (count === 0) {
    await page.locator(`#rooms li[data-room="${room}"]`).waitFor({ state: "detached" });
    return;
  }
  await roomCount(page, room).filter({ hasText: new RegExp(`^${count}$`) }).waitFor();
}
