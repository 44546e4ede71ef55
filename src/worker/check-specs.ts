// `node dist/worker.js --check-specs --bootstrap-fd <n>`: httpd's module runs this at apache2 -t and at
// each start, as the worker's user, with the BOOTSTRAP frame a worker would get. Every handler spec of the
// configuration is made exactly as a request would make it (the worker's registry and factories, its
// file: secrets filled in) and closed again, so a spec the worker would refuse at the first request is
// refused before httpd starts, in the worker's own words. Handlers open lazily: no script is imported and
// no database is connected to here.
import { FairHashQueue } from "../brute-force/fair-hash-queue.js";
import { WorkerConfigError } from "../errors.js";
import { HandlerRegistry } from "../handlers/registry.js";
import { describeSpec, parseSpec } from "../handlers/spec.js";
import { createLogger, type LineSink } from "../log.js";
import { loadAddon } from "../native/addon.js";
import { readBootstrap } from "./bootstrap.js";
import { failureReason } from "./dispatcher.js";
import { handlerFactories } from "./factories.js";
import { SpecPolicy } from "./handler-table.js";
import { guardMemory } from "./memory-guard.js";

export const CHECK_SPECS_FLAG = "--check-specs";

/** What a spec is called in a problem line: as the worker's log names it, secrets and passwords left out. */
function nameOf(spec: string): string {
  try {
    return describeSpec(parseSpec(spec));
  } catch {
    return "a handler spec";
  }
}

/** One line per spec the worker would refuse, "<spec>: <the ERROR reason a request would get>". */
export async function specProblems(specs: Iterable<string>, secretFiles: ReadonlyMap<string, string>, sink: LineSink): Promise<string[]> {
  const policy = new SpecPolicy(null, secretFiles);
  const logger = createLogger("error", sink);
  const registry = new HandlerRegistry({ factories: handlerFactories({ logger, hashLimiter: new FairHashQueue({ parallelism: 1 }), secretFiles }) });
  const problems: string[] = [];
  for (const spec of specs) {
    try {
      await registry.get(policy.materialize(spec));
    } catch (err) {
      problems.push(`${nameOf(spec)}: ${failureReason(err)}`);
    }
  }
  await registry.closeAll();
  return problems;
}

/** The check's own command line: exactly `--check-specs --bootstrap-fd <n>`; returns the descriptor. */
export function checkSpecsFd(argv: readonly string[]): number {
  const [flag, fdFlag, value, ...rest] = argv;
  const fd = value !== undefined && /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (flag !== CHECK_SPECS_FLAG || fdFlag !== "--bootstrap-fd" || !(fd >= 3) || rest.length > 0) {
    throw new WorkerConfigError(CHECK_SPECS_FLAG, "takes exactly --bootstrap-fd <n> (3 or more) after it");
  }
  return fd;
}

/** Runs the check: prints each problem as an error line, and exits 2 when there is one, else 0. */
export async function checkSpecsMain(argv: readonly string[], sink: LineSink): Promise<never> {
  const logger = createLogger("error", sink);
  try {
    const fd = checkSpecsFd(argv);
    // Before the frame's secrets arrive, as in the worker: its user may be httpd's User.
    const refusal = guardMemory(loadAddon(() => {}));
    if (refusal !== null) throw new WorkerConfigError(CHECK_SPECS_FLAG, refusal);
    const bootstrap = await readBootstrap(fd);
    const problems = await specProblems(bootstrap.allowedSpecs, bootstrap.secretFiles, sink);
    for (const problem of problems) logger.error("ANP0619", problem);
    process.exit(problems.length > 0 ? 2 : 0);
  } catch (err) {
    if (err instanceof WorkerConfigError) {
      logger.error("ANP0620", err.message);
      process.exit(2);
    }
    throw err;
  }
}
