// A plain-node CommonJS user: require() roomcast, serve one client, get an ack back.
const { createServer } = require("node:http");
const { Server } = require("roomcast");
const { version } = require("roomcast/package.json");
const { io: connect } = require("socket.io-client");

const httpServer = createServer();
const io = new Server(httpServer);
io.on("connection", (socket) => {
  socket.on("add", (a, b, ack) => ack(a + b));
});

httpServer.listen(0, "127.0.0.1", async () => {
  // require() and import() share one module instance (no second copy of every class).
  if ((await import("roomcast")).Server !== Server) throw new Error("import() gave another Server class");
  const client = connect(`http://127.0.0.1:${httpServer.address().port}`);
  const sum = await client.timeout(5000).emitWithAck("add", 40, 2);
  console.log(`cjs ack ${sum} (roomcast ${version})`);
  client.close();
  await io.close();
});
