/**
 * `npm start`: the chat on http://localhost:3000 (set `PORT` to change it).
 */
import type { AddressInfo } from "node:net";
import { createChatServer } from "./server.ts";

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be an integer between 0 and 65535, got ${String(process.env.PORT)}`);
  process.exit(1);
}

const { httpServer, io } = createChatServer();
httpServer.listen(port, () => {
  // The bound port: PORT=0 picks a free one, which scripts (e.g. a load test) read from here.
  console.log(`roomcast chat on http://localhost:${(httpServer.address() as AddressInfo).port}`);
});

function stop(): void {
  void io.close(() => process.exit(0));
}
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
