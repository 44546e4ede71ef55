// A throwaway Redis (Debian's redis-server) for one test file: a fresh directory under /tmp, a free port on
// 127.0.0.1 only, no persistence (nothing is written to disk), optionally a password (requirepass) so the
// tests can pass credentials in the URL or in a file: secret. The server runs in its own process group,
// recorded with lifecycle.ts through ServerProcess like the database servers, so a killed run leaves
// neither it nor its directory behind. stop(), kill(), suspend() (a hung Redis), resume() and restart()
// as for the database servers; a restart starts empty.
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./ports.js";
import { RestartableServer, ServerProcess, removeOnExit, type ServerControls } from "./server-process.js";

const REDIS_SERVER = "/usr/bin/redis-server";

export interface RedisServer extends ServerControls {
  /** redis://[:password@]127.0.0.1:<port>/0 */
  readonly url: string;
  readonly port: number;
  readonly password: string | undefined;
  /** A client for setting and reading keys by hand (test setup and inspection); closed by cleanup(). */
  readonly client: Redis;
}

export interface RedisOptions {
  /** requirepass: clients must AUTH with it (the default user's password). */
  readonly password?: string;
}

export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const root = mkdtempSync("/tmp/anp-redis-");
  removeOnExit(root);
  const logFile = join(root, "redis.log");
  const port = await freePort();
  const auth = options.password === undefined ? [] : ["--requirepass", options.password];
  const connection = { host: "127.0.0.1", port, password: options.password, lazyConnect: true, maxRetriesPerRequest: 0 };

  const server = new RestartableServer({
    name: "Redis",
    root,
    logFile,
    stopSignal: "SIGTERM",
    launch: () =>
      new ServerProcess(
        REDIS_SERVER,
        [
          "--port", String(port), "--bind", "127.0.0.1", "--dir", root,
          // Throwaway: nothing on disk, so a restart starts empty and a kill loses nothing that matters.
          "--save", "", "--appendonly", "no",
          "--daemonize", "no", "--logfile", "",
          ...auth,
        ],
        logFile,
        { cwd: root },
      ),
    probe: async () => {
      const probe = new Redis({ ...connection, retryStrategy: () => null });
      probe.on("error", () => {});
      try {
        await probe.connect();
        await probe.ping();
      } finally {
        probe.disconnect();
      }
    },
  });

  try {
    await server.start();
  } catch (error) {
    await server.abandon();
    throw error;
  }
  const client = new Redis({ ...connection, maxRetriesPerRequest: 0 });
  client.on("error", () => {});
  const controls = server.controls();
  const password = options.password === undefined ? "" : `:${encodeURIComponent(options.password)}@`;
  return {
    url: `redis://${password}127.0.0.1:${port}/0`,
    port,
    password: options.password,
    client,
    ...controls,
    cleanup: async () => {
      client.disconnect();
      await controls.cleanup();
    },
  };
}
