// A throwaway PostgreSQL 15 server for one test file: initdb into a fresh directory under /tmp owned by
// the postgres user (PostgreSQL refuses to run as root), listening on a free port on 127.0.0.1 and on a
// private Unix socket directory, trust authentication, one database named `django`.
// stop() is a clean shutdown, kill() a SIGKILL of the whole server (postmaster and backends) that keeps
// the data, restart() starts it again on the same port; cleanup() stops it and removes the directory.
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./ports.js";
import { RestartableServer, ServerProcess, removeOnExit, run, userIds, type ServerControls } from "./server-process.js";

const BIN = "/usr/lib/postgresql/15/bin";

export interface PostgresServer extends ServerControls {
  /** postgres://postgres@127.0.0.1:<port>/django (TCP). */
  readonly url: string;
  /** postgres://postgres@/django?host=<socketDir>&port=<port> (Unix socket). */
  readonly socketUrl: string;
  readonly socketDir: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** Runs SQL as the superuser (test setup and inspection only). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
}

export interface PostgresOptions {
  /** Serve TLS (ssl=on) with this certificate and key; copied into the server's directory. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const { uid, gid } = userIds("postgres");
  const root = mkdtempSync("/tmp/anp-pg-");
  removeOnExit(root);
  const dataDir = join(root, "data");
  const socketDir = join(root, "socket");
  const logFile = join(root, "postgres.log");
  mkdirSync(socketDir);
  chownSync(root, uid, gid);
  chownSync(socketDir, uid, gid);
  const asPostgres = { uid, gid, env: { ...process.env, HOME: root, LC_ALL: "C.UTF-8" }, cwd: root };
  try {
    await run(join(BIN, "initdb"), ["-D", dataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], asPostgres);
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  const tlsArgs: string[] = [];
  if (options.tls !== undefined) {
    // PostgreSQL refuses a key file that others can read or that another user owns.
    const certFile = join(root, "server.pem");
    const keyFile = join(root, "server.key");
    copyFileSync(options.tls.certFile, certFile);
    copyFileSync(options.tls.keyFile, keyFile);
    for (const file of [certFile, keyFile]) chownSync(file, uid, gid);
    chmodSync(keyFile, 0o600);
    tlsArgs.push("-c", "ssl=on", "-c", `ssl_cert_file=${certFile}`, "-c", `ssl_key_file=${keyFile}`);
  }
  const port = await freePort();
  const database = "django";
  const user = "postgres";
  const adminConfig = { host: "127.0.0.1", port, user, database: "postgres", connectionTimeoutMillis: 2000 };

  const server = new RestartableServer({
    name: "PostgreSQL",
    root,
    logFile,
    stopSignal: "SIGINT",
    launch: () =>
      new ServerProcess(
        join(BIN, "postgres"),
        [
          "-D", dataDir, "-p", String(port), "-k", socketDir,
          "-c", "listen_addresses=127.0.0.1",
          // A throwaway server: it must survive a killed process (kill()), not a power cut.
          // fsync=off still writes the WAL at each commit, so a SIGKILL (kill()) loses nothing committed;
          // synchronous_commit stays on for that reason.
          "-c", "fsync=off", "-c", "full_page_writes=off",
          "-c", "max_connections=100", "-c", "shared_buffers=16MB",
          ...tlsArgs,
        ],
        logFile,
        asPostgres,
      ),
    probe: async () => {
      const client = new pg.Client(adminConfig);
      client.on("error", () => {});
      try {
        await client.connect();
        await client.query("SELECT 1");
      } finally {
        await client.end().catch(() => {});
      }
    },
  });

  try {
    await server.start();
    const client = new pg.Client(adminConfig);
    await client.connect();
    await client.query(`CREATE DATABASE ${database} ENCODING 'UTF8'`);
    await client.end();
  } catch (error) {
    await server.abandon();
    throw error;
  }

  return {
    url: `postgres://${user}@127.0.0.1:${port}/${database}`,
    socketUrl: `postgres://${user}@/${database}?host=${encodeURIComponent(socketDir)}&port=${port}`,
    socketDir,
    port,
    database,
    user,
    async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
      const client = new pg.Client({ ...adminConfig, database });
      client.on("error", () => {});
      await client.connect();
      try {
        return (await client.query<R>(sql, params)).rows;
      } finally {
        await client.end().catch(() => {});
      }
    },
    ...server.controls(),
  };
}
