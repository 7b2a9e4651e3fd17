// A plain-node ES module user: import roomcast, serve one client, get an ack back.
import { createServer } from "node:http";
import { Server } from "roomcast";
import { io as connect } from "socket.io-client";

const httpServer = createServer();
const io = new Server(httpServer);
io.on("connection", (socket) => {
  socket.on("add", (a, b, ack) => ack(a + b));
});

httpServer.listen(0, "127.0.0.1", async () => {
  const client = connect(`http://127.0.0.1:${httpServer.address().port}`);
  const sum = await client.timeout(5000).emitWithAck("add", 40, 2);
  console.log(`esm ack ${sum}`);
  client.close();
  await io.close();
});
