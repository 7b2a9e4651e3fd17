/**
 * The demo's live stats page (`/stats`, examples/chat/public/stats.*) in headless Chromium: it
 * shows and plots the server's own figures (connections, chat users, messages per second),
 * which follow what Node clients do; the demo also serves `/metrics` and `/health`.
 */
import { afterEach, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { request } from "../polling/helpers.ts";
import { cleanup, connected, onCleanup } from "../support/harness.ts";
import { parseExposition, single } from "../observe/exposition.ts";
import { describeInChromium } from "./support/chromium.ts";
import { startChat } from "./support/chat-page.ts";

afterEach(cleanup);

const text = (page: Page, id: string): Promise<string> => page.locator(`#${id}`).innerText();
const peak = async (page: Page, id: string): Promise<number> => Number(await page.locator(`#${id}`).getAttribute("data-peak"));

describeInChromium("chat demo: live stats", (chrome) => {
  it("shows and plots connections and messages per second from the server's figures", async () => {
    const chat = await startChat({}, { statsInterval: 100 });
    onCleanup(() => chat.close());
    const port = Number(new URL(chat.url).port);
    const page = await chrome.newPage();
    await page.goto(`${chat.url}stats`);
    await page.locator("#status.connected").waitFor();
    // The page's own connection is the only one.
    await expect.poll(() => text(page, "connections")).toBe("1");

    const users = [await connected(chat.url), await connected(chat.url, { transports: ["polling"] })];
    await expect.poll(() => text(page, "connections")).toBe("3");
    await expect.poll(() => text(page, "users")).toBe("2");
    await expect.poll(() => peak(page, "chart-connections")).toBe(3);

    for (const [i, client] of users.entries()) {
      await client.emitWithAck("join", "lobby", `user${i}`);
      for (let n = 0; n < 5; n++) await client.emitWithAck("chat message", `hello ${n}`);
    }
    await expect.poll(() => text(page, "rooms-count")).toBe("1");
    // Every event the server counted reaches the page, and its burst shows in the plot.
    const received = chat.io.metrics?.snapshot().eventsReceived;
    expect(received).toBe(12);
    await expect.poll(() => text(page, "total-in")).toBe("12");
    expect(await peak(page, "chart-messages")).toBeGreaterThan(0);
    expect(Number(await page.locator("#chart-messages").getAttribute("data-samples"))).toBeGreaterThan(1);

    // The same figures for Prometheus, and the health probe.
    const metrics = await request(port, "/metrics");
    expect(single(parseExposition(metrics.body), "roomcast_events_received_total")).toBe(12);
    expect(JSON.parse((await request(port, "/health")).body)).toMatchObject({ status: "ok", connections: 3 });
  });
});
