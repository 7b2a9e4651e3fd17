/**
 * `npm run loadtest -- --url http://host:port[/nsp] …`: a load generator for any Socket.IO v5
 * server (see `--help` and README.md, "Load testing"). Prints the report (a table, or JSON
 * with `--json`) and exits: 0 completed, 1 unreachable / nothing connected / deadline,
 * 2 bad arguments or limits, 130 interrupted (Ctrl-C, after printing the partial report).
 */
import { HELP, parseOptions, UsageError } from "./options.ts";
import { openFileLimit, preflight } from "./preflight.ts";
import { formatReport } from "./report.ts";
import { runLoadTest } from "./run.ts";

/** If something still holds the event loop after the report, leave anyway after this long. */
const EXIT_GRACE_MS = 2_000;

function exitCode(outcome: string): number {
  if (outcome === "completed") return 0;
  if (outcome === "interrupted") return 130;
  return 1;
}

async function main(argv: string[]): Promise<number> {
  let opts;
  let warnings: string[];
  try {
    const parsed = parseOptions(argv);
    if (parsed === "help") {
      console.log(HELP);
      return 0;
    }
    opts = parsed;
    warnings = preflight(opts, openFileLimit());
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`loadtest: ${err.message}\n(npm run loadtest -- --help for usage)`);
    return 2;
  }
  const progress = (line: string): void => {
    if (!opts.quiet) console.error(line);
  };
  for (const w of warnings) console.error(`warning: ${w}`);

  // First Ctrl-C: stop and report what was measured; a second one leaves at once.
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupt.signal.aborted) process.exit(130);
    console.error(`\n${signal}: stopping, closing every connection (again to quit at once)`);
    interrupt.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const report = await runLoadTest(opts, { signal: interrupt.signal, progress, warnings: [] });
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  report.warnings.unshift(...warnings);

  if (report.outcome === "unreachable") console.error(`loadtest: cannot connect to ${opts.url}: ${report.error ?? report.errors.samples[0] ?? "no client connected"}`);
  if (report.outcome === "deadline") console.error("loadtest: the run passed its deadline and was cut short (a phase did not end in time)");
  console.log(opts.json ? JSON.stringify(report, null, 2) : formatReport(report));
  return exitCode(report.outcome);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Every connection is closed by now; this only guards against a stray handle.
    setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  },
  (err: unknown) => {
    console.error("loadtest: internal error:", err);
    process.exit(1);
  },
);
