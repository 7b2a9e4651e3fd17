/**
 * `npm start`: a small chat served at http://localhost:3000 (PORT to change), on roomcast.
 * The page loads the official socket.io-client browser bundle.
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { Server } from "../src/index.ts";

const require = createRequire(import.meta.url);
const clientBundle = require.resolve("socket.io-client/dist/socket.io.js");
const pagePath = new URL("./demo/index.html", import.meta.url);

const httpServer = createServer(async (req, res) => {
  try {
    if (req.url === "/" || req.url === "/index.html") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(await readFile(pagePath));
    } else if (req.url === "/socket.io.js") {
      res.writeHead(200, { "content-type": "text/javascript" }).end(await readFile(clientBundle));
    } else {
      res.writeHead(404).end("not found");
    }
  } catch (err) {
    res.writeHead(500).end(String(err));
  }
});

const io = new Server(httpServer);

io.on("connection", (socket) => {
  socket.broadcast.emit("notice", `${socket.id} joined`);
  socket.on("chat message", (text: unknown) => {
    if (typeof text !== "string" || text.length === 0 || text.length > 2000) return;
    socket.broadcast.emit("chat message", { from: socket.id, text });
  });
  socket.on("disconnect", () => io.emit("notice", `${socket.id} left`));
});

const port = Number(process.env.PORT ?? 3000);
httpServer.listen(port, () => {
  console.log(`roomcast demo on http://localhost:${port}`);
});
