/**
 * The test's exposition parser itself: it must read what prom-client writes (escapes included)
 * and refuse what is not the format, or the metrics tests could pass on garbage.
 */
import { describe, expect, it } from "vitest";
import { byLabel, parseExposition, single } from "./exposition.ts";

describe("parseExposition (test helper)", () => {
  it("reads families, labels with escapes, and special values", () => {
    const f = parseExposition(
      [
        "# HELP a_total Things.",
        "# TYPE a_total counter",
        "a_total 3",
        "# HELP g A gauge.",
        "# TYPE g gauge",
        'g{namespace="/x\\"y\\\\z\\n"} 1.5',
        'g{namespace="/"} +Inf',
        "",
      ].join("\n"),
    );
    expect(single(f, "a_total")).toBe(3);
    expect(f.get("a_total")?.help).toBe("Things.");
    expect(byLabel(f, "g", "namespace")).toEqual({ '/x"y\\z\n': 1.5, "/": Infinity });
  });

  it.each([
    ["a sample of an unannounced family", "x 1"],
    ["an unterminated label value", '# TYPE g gauge\ng{a="b} 1'],
    ["a bad escape", '# TYPE g gauge\ng{a="\\t"} 1'],
    ["a missing value", "# TYPE g gauge\ng"],
    ["a non-number", "# TYPE g gauge\ng one"],
    ["a bad type", "# TYPE g meter"],
    ["a duplicate label", '# TYPE g gauge\ng{a="1",a="2"} 1'],
    ["a TYPE after samples", "# TYPE g gauge\ng 1\n# TYPE g gauge"],
  ])("refuses %s", (_what, text) => {
    expect(() => parseExposition(text)).toThrow();
  });
});
