/**
 * `npm start`: the chat on http://localhost:3000 (set `PORT` to change it).
 */
import { createChatServer } from "./server.ts";

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be an integer between 0 and 65535, got ${String(process.env.PORT)}`);
  process.exit(1);
}

const { httpServer, io } = createChatServer();
httpServer.listen(port, () => {
  console.log(`roomcast chat on http://localhost:${port}`);
});

function stop(): void {
  void io.close(() => process.exit(0));
}
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
