// A strict TypeScript user (see the tsconfig files beside src/): typed event maps, options,
// middleware, rooms, acks, the Redis adapter's types. Every `@ts-expect-error` below must stay
// an error: the packaging test also compiles this file without them and counts the errors.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server, createRedisAdapter } from "roomcast";
import type { ConnectionStateRecoveryOptions, ExtendedError, RedisPublisher, RedisSubscriber, ServerOptions, Socket } from "roomcast";
import { io as connect } from "socket.io-client";

interface ClientToServer {
  add: (a: number, b: number, ack: (sum: number) => void) => void;
}
interface ServerToClient {
  greet: (name: string) => void;
}
interface InterServer {
  ping: () => void;
}
interface SocketData {
  user: string;
}
type AppSocket = Socket<ClientToServer, ServerToClient, InterServer, SocketData>;

const recovery: ConnectionStateRecoveryOptions = { maxDisconnectionDuration: 60_000, skipMiddlewares: false, maxPackets: 5000, maxSessions: 50_000 };
function withRecovery(value: ConnectionStateRecoveryOptions | false): Partial<ServerOptions> {
  return { connectionStateRecovery: value };
}
const loose = { skipMiddlewares: "no" };
// @ts-expect-error skipMiddlewares is a boolean
void withRecovery(loose);
void withRecovery(false);
const options: Partial<ServerOptions> = {
  pingInterval: 10_000,
  perMessageDeflate: { threshold: 2048 },
  cors: { origin: ["http://localhost:3000"], credentials: true },
  connectionStateRecovery: recovery,
};
const httpServer = createServer();
const io = new Server<ClientToServer, ServerToClient, InterServer, SocketData>(httpServer, options);

// Only the types of the Redis adapter are used here: no Redis server in this test.
export function clustered(pub: RedisPublisher, sub: RedisSubscriber): Partial<ServerOptions> {
  return { adapter: createRedisAdapter(pub, sub, { key: "app", requestsTimeout: 2000, sessionRefreshInterval: 5000 }) };
}

io.use((socket: AppSocket, next: (err?: ExtendedError) => void) => {
  socket.data.user = "ada";
  next();
});

io.on("connection", (socket) => {
  const recovered: boolean = socket.recovered;
  void recovered;
  void socket.join("lobby");
  socket.emit("greet", socket.data.user);
  io.to("lobby").except(socket.id).emit("greet", "someone");
  // @ts-expect-error greet takes a string
  socket.emit("greet", 42);
  // @ts-expect-error no such server-to-client event
  io.to("lobby").emit("gret", "x");
  // @ts-expect-error add's listener receives numbers
  socket.on("add", (a: string, b: string, ack: (sum: string) => void) => ack(a + b));
  socket.on("add", (a, b, ack) => ack(a + b));
});

httpServer.listen(0, "127.0.0.1", () => {
  const { port } = httpServer.address() as AddressInfo;
  const client = connect(`http://127.0.0.1:${port}`);
  client
    .timeout(5000)
    .emitWithAck("add", 40, 2)
    .then(async (sum: number) => {
      console.log(`ts ack ${sum}`);
      client.close();
      await io.close();
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
});
