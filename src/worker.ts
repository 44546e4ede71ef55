// The worker's composition root, compiled to dist/worker.js and started by mod_authnz_node:
//   node dist/worker.js --socket <path> (--bootstrap-fd <n> | --no-bootstrap) [--listen-fd <n>]
//     [--socket-mode 0600|0660] [--socket-group <name>] [--trust-uid <uid>]... [--timeout-ms <n>]
//     [--config <file.json>] [--log-level error|warn|info|debug] [--admin-fd <n> [--admin-uid <uid>]] [--start-count <n>]
// Exit status: 0 after SIGTERM/SIGHUP, 2 for a bad flag, config or bootstrap (the message names it), 1 for
// a crash. The startup order (docs/worker.md, "Startup") is part of the trust boundary: see main().
import { FairHashQueue } from "./brute-force/fair-hash-queue.js";
import { NativeThrottle, type BlockEvent } from "./brute-force/native-throttle.js";
import { WorkerConfigError, builtinErrorClass } from "./errors.js";
import { HandlerRegistry } from "./handlers/registry.js";
import { ScriptHandler } from "./handlers/script.js";
import { describeSpec, parseSpec } from "./handlers/spec.js";
import { createLogger, fdSink, type LineSink, type Logger } from "./log.js";
import { loadAddon, type Addon } from "./native/addon.js";
import { readBootstrap, type Bootstrap } from "./worker/bootstrap.js";
import { startHeartbeat } from "./worker/heartbeat.js";
import { guardMemory } from "./worker/memory-guard.js";
import { CHECK_SPECS_FLAG, checkSpecsMain } from "./worker/check-specs.js";
import { USAGE, parseCommandLine, type WorkerOptions } from "./worker/cli.js";
import { handlerFactories } from "./worker/factories.js";
import { lowerHashingPriority, threadPoolSize } from "./worker/hashing-priority.js";
import { availableParallelism } from "node:os";
import { SpecPolicy, restrictSpecs, specPolicyOf } from "./worker/handler-table.js";
import { PeerPolicy } from "./worker/peer.js";
import { WorkerServer } from "./worker/server.js";
import { AdminServer } from "./worker/admin-server.js";
import { workerStatus } from "./worker/status.js";
import { checkSocketDirectory, removeStaleSocket } from "./worker/socket-file.js";
import { GenerationsTable } from "./cache/generations-table.js";
import { ChangeTracker } from "./cache/change-tracker.js";

/** Time given to requests in flight after SIGTERM; the whole stop must take under 2 s. */
const SHUTDOWN_GRACE_MS = 1200;
/** Time given to handlers to close pools after the connections are gone. */
const HANDLER_CLOSE_MS = 400;
/** Exit no matter what this long after the signal. */
const SHUTDOWN_HARD_LIMIT_MS = 1900;
/** Requests in flight on one connection before the worker stops reading from it. */
const MAX_IN_FLIGHT_PER_CONNECTION = 512;

/** Where the worker's own lines go: stderr until the relay starts, then the saved log descriptor. */
let logSink: LineSink = process.stderr;

function fatalConfig(err: WorkerConfigError): never {
  createLogger("error", logSink).error("ANP0600", err.message);
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
      const policy = specPolicyOf(registry);
      if (!policy.allows(specText)) throw new Error("handler spec not in httpd's configuration");
      const handler = await registry.get(policy.materialize(specText));
      if (handler instanceof ScriptHandler) await handler.load();
      logger.info("ANP0612", `loaded handler ${describeSpec(parseSpec(specText))}`);
    } catch (err) {
      throw new WorkerConfigError(where, (err as Error).message);
    }
  }
}

/** The addon (SO_PEERCRED, hashing priority, the process guards), or null where the worker may run without it. */
function nativeAddon(options: WorkerOptions, logger: Logger): Addon | null {
  const addon = loadAddon((reason) => logger.warn("ANP0602", `native addon: ${reason}`));
  if (addon === null && typeof options.bootstrap === "object") {
    // Started by httpd's parent with secrets to receive: without the addon they could not be protected.
    fatalConfig(new WorkerConfigError("--bootstrap-fd", "needs the native addon (build/Release/anp_addon.node); run npm run build:native"));
  }
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
    logger.warn("ANP0603", "native addon not loaded: peers are not checked (the 0600 socket still admits only this uid and root)");
  }
  return addon;
}

/** Lowers the hashing threads' priority; before any handler is made. */
async function lowerPriority(addon: Addon, logger: Logger): Promise<void> {
  // Before any handler can queue work on the pool, so that every pool thread is idle and reachable.
  try {
    const threads = await lowerHashingPriority(addon);
    logger.info("ANP0604", `hashing threads ${threads.join(", ")} run at lower CPU priority than serving`);
  } catch (err) {
    logger.warn("ANP0605", `hashing threads keep their CPU priority: ${(err as Error).message}`);
  }
}

/**
 * Closes the worker's memory to its own uid (no ptrace, no /proc/<pid>/mem, no core file) and checks no
 * tracer attached before that. With a bootstrap to receive, failing either stops the worker (exit 2):
 * the generation key must never sit in memory httpd's User can read. Without one, a warning.
 */
function protectMemory(addon: Addon | null, options: WorkerOptions, logger: Logger): void {
  const required = typeof options.bootstrap === "object";
  const fail = (message: string): void => {
    if (required) fatalConfig(new WorkerConfigError("--bootstrap-fd", message));
    logger.warn("ANP0606", message);
  };
  const refusal = guardMemory(addon);
  if (refusal !== null) fail(refusal);
}

/**
 * Makes fds 1 and 2 a pipe the addon's thread copies to the log, each line prefixed and escaped, so no
 * handler output can pass for an error-log line of httpd's; the worker's own lines go to the saved
 * descriptor (already escaped by the logger). Returns the logger to use from now on.
 */
function relayOutput(addon: Addon | null, options: WorkerOptions, logger: Logger): Logger {
  if (addon === null) return logger;
  try {
    // stdout and stderr apart, each with its level and id; the addon's thread stamps each line's time.
    logSink = fdSink(addon.relayOutput(`[authnz_node:info] [pid ${process.pid}] ANP0690: `, `[authnz_node:warn] [pid ${process.pid}] ANP0691: `));
  } catch (err) {
    if (typeof options.bootstrap === "object") fatalConfig(new WorkerConfigError("--bootstrap-fd", `cannot relay output: ${(err as Error).message}`));
    logger.warn("ANP0607", `handler output is not relayed: ${(err as Error).message}`);
    return logger;
  }
  return createLogger(options.logLevel, logSink);
}

/** The bootstrap from httpd's parent, or null (with a warning) when started without one. */
async function bootstrapOf(options: WorkerOptions, logger: Logger): Promise<Bootstrap | null> {
  if (typeof options.bootstrap === "object") {
    try {
      return await readBootstrap(options.bootstrap.fd);
    } catch (err) {
      if (err instanceof WorkerConfigError) fatalConfig(err);
      throw err;
    }
  }
  if (options.bootstrap === "unset") {
    fatalConfig(
      new WorkerConfigError(
        "--bootstrap-fd",
        "is required (httpd's module passes it), or --no-bootstrap for a worker started by hand: without the bootstrap the worker has no generation key and no handler allowlist",
      ),
    );
  }
  logger.warn("ANP0608", "--no-bootstrap: no generation key and no handler allowlist; any process that can reach the socket is answered and chooses the handler");
  return null;
}

/** The registry, with the socket directory checked and the configured handlers loaded. */
async function prepareHandlers(options: WorkerOptions, started: Started): Promise<HandlerRegistry> {
  const { uid, bootstrap, logger, hashQueue } = started;
  const registry = new HandlerRegistry({
    factories: handlerFactories({ logger, hashLimiter: hashQueue, secretFiles: bootstrap?.secretFiles ?? null, changeTracker: started.tracker }),
    onCreate: (description) => logger.info("ANP0609", `handler ready: ${description}`),
  });
  if (bootstrap !== null) restrictSpecs(registry, new SpecPolicy(bootstrap.allowedSpecs, bootstrap.secretFiles));
  try {
    // An inherited socket sits in the parent's directory, owned by root: nothing of ours to check there.
    if (options.listenFd === null) {
      checkSocketDirectory(options.socketPath, uid);
      if (removeStaleSocket(options.socketPath)) logger.info("ANP0610", `removed stale socket ${options.socketPath}`);
    }
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

/**
 * The worker's own lockout policies: the native throttle, one per worker (so its counts are this host's),
 * unless --throttle off; then the hashing queue, which refuses an address whose queue is full before the
 * handler reads the database. A key that becomes blocked is logged once, with the address, the user,
 * the rule and the end of the block; never a password (the throttle never sees one).
 */
function throttleFor(options: WorkerOptions, logger: Logger, tracker: ChangeTracker | null): NativeThrottle | null {
  if (options.throttle === null) return null;
  const onBlock = (event: BlockEvent): void => {
    // A block is a lockout the worker decided: kept grants must not be answered past it.
    tracker?.lockout();
    logger.info(
      "ANP0611",
      `throttle: client ${event.ip} user ${JSON.stringify(event.user)} blocked (${event.kind}) until ${new Date(event.until).toISOString()} (${event.seconds} s)`,
    );
  };
  return new NativeThrottle(options.throttle, { onBlock });
}

/**
 * The hashing queue: one hash per CPU, but no more than libuv's pool holds with one thread to spare, so the
 * queue's extra slot (for an address with nothing running) finds a free pool thread and does not wait in
 * libuv's own FIFO behind a flood.
 */
function hashQueueFor(options: WorkerOptions): FairHashQueue {
  const parallelism = Math.max(1, Math.min(availableParallelism(), threadPoolSize() - 1));
  return new FairHashQueue({ parallelism, perAddress: options.hashQueue });
}

interface Started {
  readonly uid: number;
  readonly addon: Addon | null;
  readonly bootstrap: Bootstrap | null;
  readonly logger: Logger;
  /** The one hashing queue of the worker, which every Django handler hashes through. */
  readonly hashQueue: FairHashQueue;
  /** The native throttle, asked before the hashing queue; null with --throttle off. */
  readonly throttle: NativeThrottle | null;
  /** Date.now() at the worker's start, for the admin status. */
  readonly startedAt: number;
  /** The change tracker over the generations table (--generations-fd), or null without one. */
  readonly tracker: ChangeTracker | null;
}

/**
 * The generations table httpd's parent made (--generations-fd), mapped read-write (a new epoch begins), and
 * the one tracker that writes it; null without the flag. A table that cannot be mapped stops the worker:
 * the parent asked for stamped grants, and a worker giving none while the module expects them is a fault.
 */
function trackerFor(options: WorkerOptions, addon: Addon | null, logger: Logger): ChangeTracker | null {
  if (options.generationsFd === null) return null;
  if (addon === null) fatalConfig(new WorkerConfigError("--generations-fd", "needs the native addon (build/Release/anp_addon.node)"));
  try {
    return new ChangeTracker(GenerationsTable.open(addon, options.generationsFd, true), { logger });
  } catch (err) {
    fatalConfig(new WorkerConfigError("--generations-fd", `cannot map the generations table: ${(err as Error).message}`));
  }
}

async function listen(options: WorkerOptions, started: Started, registry: HandlerRegistry): Promise<WorkerServer> {
  const { uid, addon, bootstrap, logger, hashQueue, throttle } = started;
  const server = new WorkerServer({
    socketPath: options.socketPath,
    listenFd: options.listenFd,
    socketMode: options.socketMode,
    socketGid: options.socketGid,
    logger,
    peers: new PeerPolicy(uid, options.trustUids, addon),
    connection: {
      registry,
      lockoutPolicies: throttle === null ? [hashQueue] : [throttle, hashQueue],
      onLockout: () => started.tracker?.lockout(),
      logger,
      timeoutMs: options.timeoutMs,
      maxInFlight: MAX_IN_FLIGHT_PER_CONNECTION,
      generationKey: bootstrap?.generationKey ?? null,
    },
  });
  try {
    await server.start();
  } catch (err) {
    // EACCES, EADDRINUSE, or a --socket-group the worker's user may not chown to: a deployment problem.
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    await registry.closeAll();
    const flag = options.listenFd === null ? "--socket" : "--listen-fd";
    fatalConfig(new WorkerConfigError(flag, `cannot listen on ${options.socketPath}: ${code}`));
  }
  // Always written, whatever --log-level says: supervisors and tests wait for this line.
  (logger.enabled("info") ? logger : createLogger("info", logSink)).info("ANP0601", `listening on ${options.socketPath}`);
  return server;
}

/**
 * The admin socket httpd's parent handed over (--admin-fd), answering STATUS; null without one. A socket
 * that cannot be used costs the status only, not the checks: logged, and the worker goes on.
 */
async function listenAdmin(options: WorkerOptions, started: Started, registry: HandlerRegistry, server: WorkerServer): Promise<AdminServer | null> {
  if (options.adminFd === null) return null;
  const { addon, logger, hashQueue, throttle, startedAt } = started;
  const status = (): unknown =>
    workerStatus({ startedAt, startCount: options.startCount, registry, hashQueue, throttle, connections: () => server.connectionCount });
  const admin = new AdminServer({ fd: options.adminFd, adminUid: options.adminUid, addon, logger, status });
  try {
    await admin.start();
  } catch (err) {
    logger.error("ANP0635", `admin socket unusable, no status will be answered: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return null;
  }
  return admin;
}

/** Drains the connections, closes the handlers (bounded in time) and exits 0. */
async function shutDown(server: WorkerServer, admin: AdminServer | null, registry: HandlerRegistry, logger: Logger): Promise<never> {
  admin?.stop();
  await server.stop(SHUTDOWN_GRACE_MS);
  let timer: NodeJS.Timeout | undefined;
  const errors = await Promise.race([
    registry.closeAll(),
    new Promise<Error[]>((resolve) => {
      timer = setTimeout(() => resolve([new Error(`handlers did not close within ${HANDLER_CLOSE_MS} ms`)]), HANDLER_CLOSE_MS);
    }),
  ]);
  clearTimeout(timer);
  for (const err of errors) logger.warn("ANP0613", `closing handlers: ${err.message}`);
  logger.info("ANP0614", "stopped");
  process.exit(0);
}

/**
 * The startup order, each step before the next for a reason:
 * 1. the memory guard (setDumpable(false), no tracer): before the bootstrap brings the generation key and
 *    the secrets into memory, and before any handler code runs;
 * 2. the output relay: before any handler is made (a preloaded script runs at once), so nothing a handler
 *    prints reaches the error log unprefixed; the worker's own lines go to the saved descriptor from here;
 * 3. the bootstrap, read to its end and closed: before any connection is accepted, so every connection
 *    is held to the key and the allowlist;
 * 4. the handlers (the allowlist applies to preloaded specs too), then the socket.
 */
async function main(): Promise<void> {
  // httpd's module checking the configuration's handler specs (worker/check-specs.ts), not a worker.
  if (process.argv[2] === CHECK_SPECS_FLAG) await checkSpecsMain(process.argv.slice(2), logSink);
  const startedAt = Date.now();
  const options = readOptions();
  if (options === null) return;
  let logger = createLogger(options.logLevel);
  const uid = process.getuid?.() ?? 0;

  // A stray rejection in a user's script must not take every check down with it.
  process.on("unhandledRejection", (reason) => {
    // Only the error's kind, a built-in class by identity: its message, and a `name` a script may set,
    // could hold anything the script had in hand, a password included.
    const kind = builtinErrorClass(reason) ?? (reason instanceof Error ? "exception" : typeof reason);
    logger.error("ANP0615", `unhandled rejection (ignored): ${kind}`);
  });
  // A signal before the socket is up (e.g. while preloading) has nothing to drain: just exit 0.
  let stop = (signal: NodeJS.Signals): void => {
    logger.info("ANP0616", `${signal} before listening: exiting`);
    process.exit(0);
  };
  process.on("SIGTERM", (signal) => stop(signal));
  process.on("SIGHUP", (signal) => stop(signal));

  // First: the beats come from this event loop, so httpd's parent sees a worker that stops or gets stuck
  // at any point from here on, loading handlers included.
  if (options.heartbeatFd !== null) startHeartbeat(options.heartbeatFd);
  const addon = nativeAddon(options, logger);
  protectMemory(addon, options, logger);
  logger = relayOutput(addon, options, logger);
  const bootstrap = await bootstrapOf(options, logger);
  if (addon !== null) await lowerPriority(addon, logger);
  const tracker = trackerFor(options, addon, logger);
  const started: Started = { uid, addon, bootstrap, logger, hashQueue: hashQueueFor(options), throttle: throttleFor(options, logger, tracker), startedAt, tracker };
  const registry = await prepareHandlers(options, started);
  const server = await listen(options, started, registry);
  const admin = await listenAdmin(options, started, registry, server);

  let stopping = false;
  stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info("ANP0617", `${signal}: stopping`);
    setTimeout(() => {
      logger.warn("ANP0618", "stop took too long; exiting");
      process.exit(0);
    }, SHUTDOWN_HARD_LIMIT_MS).unref();
    tracker?.close();
    void shutDown(server, admin, registry, logger);
  };
}

process.on("uncaughtException", (err) => {
  // The worker's state is unknown now; exiting lets the module fail requests closed and restart it.
  // The class (a built-in's, else "exception": a script may set `name` to anything) and the stack's
  // frames, never the message, which could hold anything a script had in hand; a message with newlines
  // continues over the stack's first lines, so only lines that are frames are kept.
  const frames = String(err?.stack ?? "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("at "))
    .slice(0, 5);
  createLogger("error", logSink).error("ANP0634", `uncaught ${builtinErrorClass(err) ?? "exception"} ${frames.join(" | ")}`);
  process.exit(1);
});

await main();
