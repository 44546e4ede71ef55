// The worker's composition root, compiled to dist/worker.js and started by mod_authnz_node:
//   node dist/worker.js --socket <path> [--socket-mode 0600|0660] [--socket-group <name>]
//     [--trust-uid <uid>]... [--timeout-ms <n>] [--config <file.json>] [--log-level error|warn|info|debug]
// Exit status: 0 after SIGTERM/SIGHUP, 2 for a bad flag or config (the message names it), 1 for a crash.
import { ConcurrencyLimiter } from "./cache/concurrency-limiter.js";
import { WorkerConfigError } from "./errors.js";
import { HandlerRegistry } from "./handlers/registry.js";
import { ScriptHandler } from "./handlers/script.js";
import { describeSpec, parseSpec } from "./handlers/spec.js";
import { createLogger, type Logger } from "./log.js";
import { loadAddon, type Addon } from "./native/addon.js";
import { USAGE, parseCommandLine, type WorkerOptions } from "./worker/cli.js";
import { handlerFactories } from "./worker/factories.js";
import { lowerHashingPriority } from "./worker/hashing-priority.js";
import { PeerPolicy } from "./worker/peer.js";
import { WorkerServer } from "./worker/server.js";
import { checkSocketDirectory, removeStaleSocket } from "./worker/socket-file.js";

/** Time given to requests in flight after SIGTERM; the whole stop must take under 2 s. */
const SHUTDOWN_GRACE_MS = 1200;
/** Time given to handlers to close pools after the connections are gone. */
const HANDLER_CLOSE_MS = 400;
/** Exit no matter what this long after the signal. */
const SHUTDOWN_HARD_LIMIT_MS = 1900;
/** Requests in flight on one connection before the worker stops reading from it. */
const MAX_IN_FLIGHT_PER_CONNECTION = 512;

function fatalConfig(err: WorkerConfigError): never {
  createLogger("error").error(err.message);
  process.exit(2);
}

/** The command line's options, or null after printing the usage (--help). */
function readOptions(): WorkerOptions | null {
  try {
    const parsed = parseCommandLine(process.argv.slice(2));
    if (parsed.help || parsed.options === null) {
      process.stdout.write(`${USAGE}\n`);
      return null;
    }
    return parsed.options;
  } catch (err) {
    if (err instanceof WorkerConfigError) fatalConfig(err);
    throw err;
  }
}

async function preload(options: WorkerOptions, registry: HandlerRegistry, logger: Logger): Promise<void> {
  for (const [index, specText] of options.preload.entries()) {
    const where = `config:handlers[${index}]`;
    try {
      const handler = await registry.get(specText);
      if (handler instanceof ScriptHandler) await handler.load();
      logger.info(`loaded handler ${describeSpec(parseSpec(specText))}`);
    } catch (err) {
      throw new WorkerConfigError(where, (err as Error).message);
    }
  }
}

/** The addon (SO_PEERCRED, hashing priority), or null where the worker may run without it. */
async function nativeAddon(options: WorkerOptions, logger: Logger): Promise<Addon | null> {
  const addon = loadAddon((reason) => logger.warn(`native addon: ${reason}`));
  if (addon === null && (options.trustUids.length > 0 || options.socketMode === 0o660)) {
    // Without SO_PEERCRED the worker cannot tell trusted peers from the rest of a group: fail closed.
    fatalConfig(
      new WorkerConfigError(
        options.trustUids.length > 0 ? "--trust-uid" : "--socket-mode",
        "needs the native addon (build/Release/anp_addon.node) to check peer credentials; run npm run build:native",
      ),
    );
  }
  if (addon === null) {
    logger.warn("native addon not loaded: peers are not checked (the 0600 socket still admits only this uid and root)");
    return null;
  }
  // Before any handler can queue work on the pool, so that every pool thread is idle and reachable.
  try {
    const threads = await lowerHashingPriority(addon);
    logger.info(`hashing threads ${threads.join(", ")} run at lower CPU priority than serving`);
  } catch (err) {
    logger.warn(`hashing threads keep their CPU priority: ${(err as Error).message}`);
  }
  return addon;
}

/** The registry, with the socket directory checked and the configured handlers loaded. */
async function prepareHandlers(options: WorkerOptions, uid: number, logger: Logger): Promise<HandlerRegistry> {
  const registry = new HandlerRegistry({
    factories: handlerFactories({ logger, hashLimiter: new ConcurrencyLimiter() }),
    onCreate: (description) => logger.info(`handler ready: ${description}`),
  });
  try {
    checkSocketDirectory(options.socketPath, uid);
    if (removeStaleSocket(options.socketPath)) logger.info(`removed stale socket ${options.socketPath}`);
    await preload(options, registry, logger);
  } catch (err) {
    if (err instanceof WorkerConfigError) {
      await registry.closeAll();
      fatalConfig(err);
    }
    throw err;
  }
  return registry;
}

async function listen(options: WorkerOptions, uid: number, addon: Addon | null, registry: HandlerRegistry, logger: Logger): Promise<WorkerServer> {
  const server = new WorkerServer({
    socketPath: options.socketPath,
    socketMode: options.socketMode,
    socketGid: options.socketGid,
    logger,
    peers: new PeerPolicy(uid, options.trustUids, addon),
    connection: { registry, logger, timeoutMs: options.timeoutMs, maxInFlight: MAX_IN_FLIGHT_PER_CONNECTION },
  });
  try {
    await server.start();
  } catch (err) {
    // EACCES, EADDRINUSE, or a --socket-group the worker's user may not chown to: a deployment problem.
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    await registry.closeAll();
    fatalConfig(new WorkerConfigError("--socket", `cannot listen on ${options.socketPath}: ${code}`));
  }
  // Always written, whatever --log-level says: supervisors and tests wait for this line.
  (logger.enabled("info") ? logger : createLogger("info")).info(`listening on ${options.socketPath}`);
  return server;
}

/** Drains the connections, closes the handlers (bounded in time) and exits 0. */
async function shutDown(server: WorkerServer, registry: HandlerRegistry, logger: Logger): Promise<never> {
  await server.stop(SHUTDOWN_GRACE_MS);
  let timer: NodeJS.Timeout | undefined;
  const errors = await Promise.race([
    registry.closeAll(),
    new Promise<Error[]>((resolve) => {
      timer = setTimeout(() => resolve([new Error(`handlers did not close within ${HANDLER_CLOSE_MS} ms`)]), HANDLER_CLOSE_MS);
    }),
  ]);
  clearTimeout(timer);
  for (const err of errors) logger.warn(`closing handlers: ${err.message}`);
  logger.info("stopped");
  process.exit(0);
}

async function main(): Promise<void> {
  const options = readOptions();
  if (options === null) return;
  const logger = createLogger(options.logLevel);
  const uid = process.getuid?.() ?? 0;

  // A stray rejection in a user's script must not take every check down with it.
  process.on("unhandledRejection", (reason) => {
    // Only the error's kind: its message could hold anything a script had in hand, a password included.
    logger.error(`unhandled rejection (ignored): ${reason instanceof Error ? reason.name : typeof reason}`);
  });
  // A signal before the socket is up (e.g. while preloading) has nothing to drain: just exit 0.
  let stop = (signal: NodeJS.Signals): void => {
    logger.info(`${signal} before listening: exiting`);
    process.exit(0);
  };
  process.on("SIGTERM", (signal) => stop(signal));
  process.on("SIGHUP", (signal) => stop(signal));

  const addon = await nativeAddon(options, logger);
  const registry = await prepareHandlers(options, uid, logger);
  const server = await listen(options, uid, addon, registry, logger);

  let stopping = false;
  stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: stopping`);
    setTimeout(() => {
      logger.warn("stop took too long; exiting");
      process.exit(0);
    }, SHUTDOWN_HARD_LIMIT_MS).unref();
    void shutDown(server, registry, logger);
  };
}

process.on("uncaughtException", (err) => {
  // The worker's state is unknown now; exiting lets the module fail requests closed and restart it.
  // The name and stack frames, not the message: it could hold anything a script had in hand.
  const frames = String(err?.stack ?? "").split("\n").slice(1, 6).map((line) => line.trim());
  process.stderr.write(`mod_authnz_node worker[${process.pid}]: error: uncaught ${err?.name ?? "exception"} ${frames.join(" | ")}\n`);
  process.exit(1);
});

await main();
