// A TypeScript CommonJS module: compiles to require("roomcast"), which Node loads through
// require(esm) (Node 20.19+ / 22.12+) and TypeScript 5.8+ types under module nodenext.
import { Server } from "roomcast";
import type { Namespace } from "roomcast";

const io = new Server<{ hello: (n: number) => void }>();
const root: Namespace<{ hello: (n: number) => void }> = io.of("/");
// @ts-expect-error hello's listener receives a number
io.on("connection", (socket) => socket.on("hello", (n: string) => n));
console.log(`cts ${typeof Server} ${root.name}`);
void io.close();
