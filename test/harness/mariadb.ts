// A throwaway MariaDB 10.11 server for one test file: mariadb-install-db into a fresh datadir under /tmp,
// mariadbd (dropping to the mysql user) on a free port on 127.0.0.1 and its own Unix socket, utf8mb4 with
// utf8mb4_general_ci (Debian's default, so the case-insensitive matching of a real install is tested),
// a database `django` and a password-less user `django` that owns it.
// stop()/kill()/restart()/cleanup() as in postgres.ts.
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import mysql from "mysql2/promise";
import { freePort } from "./ports.js";
import { RestartableServer, ServerProcess, removeOnExit, run, userIds, type ServerControls } from "./server-process.js";

export interface MariaDBServer extends ServerControls {
  /** mysql://django@127.0.0.1:<port>/django */
  readonly url: string;
  readonly socketPath: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** Runs SQL as root (test setup and inspection only). */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Restarts the server serving another certificate (started with `tls` only). */
  replaceTls(tls: { readonly certFile: string; readonly keyFile: string }): Promise<void>;
}

export interface MariaDBOptions {
  /** Serve TLS with this certificate and key; copied into the server's directory. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
}

export async function startMariaDB(options: MariaDBOptions = {}): Promise<MariaDBServer> {
  const { uid, gid } = userIds("mysql");
  const root = mkdtempSync("/tmp/anp-mariadb-");
  removeOnExit(root);
  const dataDir = join(root, "data");
  const socketPath = join(root, "mysqld.sock");
  const logFile = join(root, "mariadb.log");
  mkdirSync(dataDir);
  chownSync(root, uid, gid);
  chownSync(dataDir, uid, gid);
  try {
    await run("mariadb-install-db", [
      "--no-defaults", `--datadir=${dataDir}`, "--user=mysql",
      "--auth-root-authentication-method=normal", "--skip-test-db",
    ]);
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  const tlsArgs: string[] = [];
  const served = { certFile: join(root, "server.pem"), keyFile: join(root, "server.key") };
  const installTls = (tls: { readonly certFile: string; readonly keyFile: string }): void => {
    copyFileSync(tls.certFile, served.certFile);
    copyFileSync(tls.keyFile, served.keyFile);
    for (const file of [served.certFile, served.keyFile]) chownSync(file, uid, gid);
    chmodSync(served.keyFile, 0o600);
  };
  if (options.tls !== undefined) {
    installTls(options.tls);
    tlsArgs.push(`--ssl-cert=${served.certFile}`, `--ssl-key=${served.keyFile}`);
  }
  const port = await freePort();
  const database = "django";
  const user = "django";
  const rootConfig = { host: "127.0.0.1", port, user: "root", connectTimeout: 2000 };

  const server = new RestartableServer({
    name: "MariaDB",
    root,
    logFile,
    stopSignal: "SIGTERM",
    launch: () =>
      new ServerProcess(
        "mariadbd",
        [
          "--no-defaults", `--datadir=${dataDir}`, `--socket=${socketPath}`, `--port=${port}`,
          "--bind-address=127.0.0.1", "--user=mysql", `--pid-file=${join(root, "mysqld.pid")}`,
          "--skip-name-resolve", "--skip-log-bin",
          "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci",
          // A throwaway server: it must survive a killed process (kill()), not a power cut.
          "--innodb-buffer-pool-size=32M", "--innodb-doublewrite=0",
          // 2: each commit reaches the OS at once (no fsync), so a SIGKILL loses nothing that was committed.
          "--innodb-flush-log-at-trx-commit=2",
          "--max-connections=200",
          ...tlsArgs,
        ],
        logFile,
      ),
    probe: async () => {
      const connection = await mysql.createConnection(rootConfig);
      connection.on("error", () => {});
      await connection.query("SELECT 1");
      await connection.end();
    },
  });

  const query = async <R>(sql: string, params: unknown[] = []): Promise<R[]> => {
    const connection = await mysql.createConnection({ ...rootConfig, database });
    connection.on("error", () => {});
    try {
      const [rows] = await connection.query(sql, params);
      return rows as R[];
    } finally {
      await connection.end().catch(() => {});
    }
  };

  try {
    await server.start();
    const connection = await mysql.createConnection(rootConfig);
    await connection.query(`CREATE DATABASE ${database} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
    await connection.query(`CREATE USER '${user}'@'%'`);
    // Django's test runner creates test databases; give the user everything on this private server.
    await connection.query(`GRANT ALL PRIVILEGES ON *.* TO '${user}'@'%'`);
    await connection.end();
  } catch (error) {
    await server.abandon();
    throw error;
  }

  return {
    url: `mysql://${user}@127.0.0.1:${port}/${database}`,
    socketPath,
    port,
    database,
    user,
    query,
    ...server.controls(),
    async replaceTls(tls) {
      if (options.tls === undefined) throw new Error("replaceTls: the server was started without TLS");
      await server.controls().stop();
      installTls(tls);
      await server.controls().restart();
    },
  };
}
