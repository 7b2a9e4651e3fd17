/**
 * The namespace table: exact names first, then dynamic matchers in registration order
 * (existing namespaces win over dynamic ones).
 */
import type { AnyNamespace } from "./any.ts";
import type { NamespaceMatcher, ParentNamespace } from "./parent-namespace.ts";
import type { EventsMap } from "../typed-events.ts";

type AnyParent = ParentNamespace<EventsMap, EventsMap, EventsMap, unknown>;

/** The answer of a namespace lookup: the namespace, or why there is none. */
export type NamespaceLookup = { nsp: AnyNamespace } | { refusal: string; code: "INVALID_NAMESPACE" | "TOO_MANY_NAMESPACES" };

/** Exact namespaces and dynamic parents of one server. */
export class NamespaceRegistry {
  /** Namespaces by exact name (static ones and dynamic children). */
  readonly exact = new Map<string, AnyNamespace>();
  private readonly parents = new Map<NamespaceMatcher, AnyParent>();
  /** RegExp parents, so that `io.of("/dynamic-7")` after `io.of(/dynamic-\d+/)` makes a child. */
  private readonly regexParents: Array<{ regex: RegExp; parent: AnyParent }> = [];
  private dynamicChildren = 0;

  constructor(private readonly maxDynamicNamespaces: number) {}

  /** Adds a dynamic parent with its matcher (a RegExp is also remembered for `of(name)`). */
  addParent(matcher: NamespaceMatcher, parent: AnyParent, regex?: RegExp): void {
    this.parents.set(matcher, parent);
    if (regex) this.regexParents.push({ regex, parent });
  }

  /** The RegExp parent whose pattern matches `name`, if any. */
  regexParentFor(name: string): AnyParent | undefined {
    return this.regexParents.find(({ regex }) => regex.test(name))?.parent;
  }

  /** Records a dynamic child. */
  addChild(child: AnyNamespace): void {
    this.exact.set(child.name, child);
    this.dynamicChildren++;
  }

  /** Forgets an emptied dynamic child. */
  removeChild(child: AnyNamespace): void {
    if (this.exact.get(child.name) === child) {
      this.exact.delete(child.name);
      this.dynamicChildren--;
    }
  }

  /**
   * Finds the namespace a client asks for: an exact name, else the first dynamic parent whose
   * matcher accepts it (creating the child), else a refusal.
   */
  resolve(name: string, auth: Record<string, unknown>, done: (result: NamespaceLookup) => void): void {
    const existing = this.exact.get(name);
    if (existing) return done({ nsp: existing });
    const candidates = [...this.parents];
    const tryNext = (index: number): void => {
      const candidate = candidates[index];
      // [SIO5:invalid-namespace]
      if (!candidate) return done({ refusal: "Invalid namespace", code: "INVALID_NAMESPACE" });
      const [matcher, parent] = candidate;
      let answered = false;
      matcher(name, auth, (err, allow) => {
        if (answered) return;
        answered = true;
        if (err || !allow) return tryNext(index + 1);
        // Another client may have created it while the matcher ran.
        const raced = this.exact.get(name);
        if (raced) return done({ nsp: raced });
        // [SIO5:dynamic-namespace] Children are bounded by maxDynamicNamespaces, all parents together.
        if (this.dynamicChildren >= this.maxDynamicNamespaces) return done({ refusal: "Too many namespaces", code: "TOO_MANY_NAMESPACES" });
        done({ nsp: parent.createChild(name) as unknown as AnyNamespace });
      });
    };
    tryNext(0);
  }
}
