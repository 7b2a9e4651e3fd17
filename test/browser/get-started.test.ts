/**
 * The socket.io "Get started" flow, in headless Chromium: an Express app serves a chat page that
 * loads `/socket.io/socket.io.js` from the Socket.IO server itself (`serveClient`) and calls
 * `io()` with no argument; what one page sends, every page shows. A second flow uses the
 * msgpack bundle (`socket.io.msgpack.min.js`) against a server with socket.io-msgpack-parser.
 */
import http from "node:http";
import express from "express";
import msgpackParser from "socket.io-msgpack-parser";
import { afterEach, expect, it } from "vitest";
import { Server } from "../../src/index.ts";
import { describeInChromium } from "./support/chromium.ts";
import { listenLocal, type Listening } from "./support/page-server.ts";

/** A chat page in the spirit of the tutorial: a list, a form, the client bundle served by the server. */
function chatPage(bundle: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>chat</title></head>
<body>
  <ul id="messages"></ul>
  <form id="form"><input id="input" autocomplete="off"><button>Send</button></form>
  <script src="/socket.io/${bundle}"></script>
  <script>
    const socket = io();
    const form = document.getElementById("form");
    const input = document.getElementById("input");
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      if (input.value) {
        socket.emit("chat message", input.value);
        input.value = "";
      }
    });
    socket.on("chat message", (msg) => {
      const li = document.createElement("li");
      li.textContent = msg;
      document.getElementById("messages").appendChild(li);
    });
    socket.on("connect", () => document.body.dataset.connected = "yes");
  </script>
</body></html>`;
}

let running: { io: Server; listening: Listening } | undefined;

afterEach(async () => {
  await running?.io.close();
  await running?.listening.close();
  running = undefined;
});

async function startChat(bundle: string, opts: ConstructorParameters<typeof Server>[1] = {}): Promise<string> {
  const app = express();
  app.get("/", (_req, res) => {
    res.type("html").send(chatPage(bundle));
  });
  const httpServer = http.createServer(app);
  const io = new Server(httpServer, opts);
  io.on("connection", (socket) => {
    socket.on("chat message", (msg: string) => {
      io.emit("chat message", msg);
    });
  });
  const listening = await listenLocal(httpServer);
  running = { io, listening };
  return listening.origin;
}

describeInChromium("the Get started chat", (chrome) => {
  it("loads /socket.io/socket.io.js from the server and chats between two pages", async () => {
    const origin = await startChat("socket.io.js");
    const alice = await chrome.newPage();
    const bob = await chrome.newPage();
    for (const page of [alice, bob]) {
      await page.goto(origin);
      await page.waitForSelector("body[data-connected=yes]");
    }
    await alice.fill("#input", "hello from alice");
    await alice.press("#input", "Enter");
    for (const page of [alice, bob]) {
      await page.waitForSelector("#messages li");
      expect(await page.locator("#messages li").allTextContents()).toEqual(["hello from alice"]);
    }
  });

  it("works with the msgpack bundle and socket.io-msgpack-parser on the server", async () => {
    const origin = await startChat("socket.io.msgpack.min.js", { parser: msgpackParser });
    const page = await chrome.newPage();
    await page.goto(origin);
    await page.waitForSelector("body[data-connected=yes]");
    await page.fill("#input", "packed");
    await page.press("#input", "Enter");
    await page.waitForSelector("#messages li");
    expect(await page.locator("#messages li").allTextContents()).toEqual(["packed"]);
  });
});
