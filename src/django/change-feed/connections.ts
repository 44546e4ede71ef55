// The change feed's own connections, apart from the handler's pools: a LISTEN belongs to one session, a
// poll must not wait behind the answers' queries, and install-triggers runs DDL a pool's prepared
// statements could not. Settings mirror the adapters' (src/django/database/), TLS included.
import pg from "pg";
import mysql from "mysql2/promise";
import BetterSqlite3 from "better-sqlite3";
import type { MysqlLocation, PostgresLocation, SqliteLocation } from "../database-url.js";
import { driverTls } from "../database/tls.js";
import { mysqlTls } from "../database/mysql.js";

export function postgresClient(location: PostgresLocation, timeoutMs: number): pg.Client {
  return new pg.Client({
    host: location.host,
    port: location.port,
    user: location.user,
    password: location.password,
    database: location.database,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    keepAlive: true,
    application_name: "mod_authnz_node feed",
    ssl: location.tls === undefined ? false : driverTls(location.tls, "sslrootcert"),
  });
}

export async function mysqlConnection(location: MysqlLocation, timeoutMs: number): Promise<mysql.Connection> {
  return mysql.createConnection({
    ...(location.socketPath !== undefined ? { socketPath: location.socketPath } : { host: location.host, port: location.port }),
    user: location.user,
    password: location.password,
    database: location.database,
    charset: "UTF8MB4_GENERAL_CI",
    connectTimeout: timeoutMs,
    enableKeepAlive: true,
    ...(location.tls === undefined ? {} : { ssl: mysqlTls(location.tls) }),
  });
}

export function sqliteHandle(location: SqliteLocation, readonly: boolean, busyTimeoutMs: number): BetterSqlite3.Database {
  return new BetterSqlite3(location.path, { readonly, fileMustExist: true, timeout: busyTimeoutMs });
}
