import type { Adapter } from "./adapter.ts";
import type { AdapterNamespace } from "./types.ts";

/** What the `adapter` server option takes: a class (or factory with `new`) building one adapter per namespace. */
export type AdapterConstructor = new (nsp: AdapterNamespace) => Adapter;
