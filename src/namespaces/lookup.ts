/**
 * `io.of(name)`: finds or creates a namespace, or creates a dynamic parent for a RegExp or a
 * matcher function. Kept apart from server.ts so that it holds the public API.
 */
import type { EventsMap } from "../typed-events.ts";
import type { AnyNamespace } from "./any.ts";
import { Namespace } from "./namespace.ts";
import { ParentNamespace, type NamespaceMatcher, type ParentHost } from "./parent-namespace.ts";
import type { NamespaceRegistry } from "./registry.ts";

type AnyParent = ParentNamespace<EventsMap, EventsMap, EventsMap, unknown>;

/**
 * The namespace `name` of `registry`: an existing one first (static, or a dynamic child), then
 * a child of the first RegExp parent that matches, else a new static namespace (announced as
 * `new_namespace` on `main`, which is unset while the main namespace itself is created).
 */
export function namespaceOf(
  host: ParentHost,
  registry: NamespaceRegistry,
  main: AnyNamespace | undefined,
  name: string | RegExp | NamespaceMatcher,
): AnyNamespace {
  if (typeof name === "function" || name instanceof RegExp) {
    const parent: AnyParent = new ParentNamespace(host);
    if (typeof name === "function") {
      registry.addParent(name, parent);
    } else {
      const regex = name;
      registry.addParent((child, _auth, next) => next(null, regex.test(child)), parent, regex);
    }
    return parent;
  }
  const normalized = name.startsWith("/") ? name : `/${name}`;
  const existing = registry.exact.get(normalized);
  if (existing) return existing;
  const parent = registry.regexParentFor(normalized);
  if (parent) return parent.createChild(normalized) as AnyNamespace;
  const nsp: AnyNamespace = new Namespace(host, normalized);
  registry.exact.set(normalized, nsp);
  main?.emitLifecycle("new_namespace", nsp as unknown as Namespace);
  return nsp;
}
