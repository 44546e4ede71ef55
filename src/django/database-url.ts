// Parses the handler's `database=` URL into where to connect. Credentials in the URL are the database
// account's, never a user's; describe() masks the password so a URL can appear in logs and reasons.
import { DjangoConfigError } from "../errors.js";

export interface PostgresLocation {
  readonly driver: "postgres";
  /** A host name, an IP address, or an absolute Unix socket directory. */
  readonly host: string;
  readonly port: number;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string;
}

export interface MysqlLocation {
  readonly driver: "mysql";
  readonly host: string;
  readonly port: number;
  /** An absolute Unix socket path (?socket=), used instead of host and port. */
  readonly socketPath: string | undefined;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string;
}

export interface SqliteLocation {
  readonly driver: "sqlite";
  /** Absolute path of the database file. */
  readonly path: string;
}

export type DatabaseLocation = PostgresLocation | MysqlLocation | SqliteLocation;

const KEY = "database";

/** Parses postgres://, postgresql://, mysql://, mariadb:// and sqlite:///abs/path URLs. */
export function parseDatabaseUrl(text: string): DatabaseLocation {
  let url: URL;
  try {
    // libpq accepts user@ with no host (postgres://app@/db?host=/run/postgresql); WHATWG URL does not.
    url = new URL(text.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@]*@)(?=[/?#]|$)/, "$1localhost"));
  } catch (error) {
    throw new DjangoConfigError(KEY, "not a URL (postgres://, mysql://, mariadb:// or sqlite:///abs/path)", { cause: error });
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  switch (scheme) {
    case "sqlite":
      return parseSqlite(url);
    case "postgres":
    case "postgresql":
      return parseServer(url, "postgres");
    case "mysql":
    case "mariadb":
      return parseServer(url, "mysql");
    default:
      throw new DjangoConfigError(KEY, `unsupported scheme "${scheme}:" (postgres, postgresql, mysql, mariadb, sqlite)`);
  }
}

function parseSqlite(url: URL): SqliteLocation {
  // sqlite:///abs/path has an empty host; sqlite://relative/path would put "relative" in the host.
  if (url.host !== "" || !url.pathname.startsWith("/") || url.pathname === "/") {
    throw new DjangoConfigError(KEY, "a SQLite URL needs an absolute path: sqlite:///abs/path/db.sqlite3");
  }
  if (url.search !== "") throw new DjangoConfigError(KEY, "a SQLite URL takes no parameters");
  return { driver: "sqlite", path: decode(url.pathname) };
}

function parseServer(url: URL, driver: "postgres" | "mysql"): PostgresLocation | MysqlLocation {
  const params = new Map(url.searchParams);
  const allowed = driver === "postgres" ? ["host", "port"] : ["socket"];
  for (const name of params.keys()) {
    if (!allowed.includes(name)) {
      throw new DjangoConfigError(KEY, `unknown URL parameter "${name}" (allowed: ${allowed.join(", ")})`);
    }
  }
  const database = decode(url.pathname.replace(/^\//, ""));
  if (database === "" || database.includes("/")) throw new DjangoConfigError(KEY, "the URL must name one database: .../<database>");
  const user = url.username === "" ? undefined : decode(url.username);
  const password = url.password === "" ? undefined : decode(url.password);
  const hostParam = params.get("host");
  // URL keeps IPv6 literals in brackets; drivers want them bare.
  const urlHost = decode(url.hostname).replace(/^\[(.*)\]$/, "$1");
  const defaultPort = driver === "postgres" ? 5432 : 3306;
  const port = parsePort(params.get("port") ?? url.port, defaultPort);

  if (driver === "postgres") {
    if (hostParam !== undefined && !hostParam.startsWith("/")) {
      throw new DjangoConfigError(KEY, "?host= must be an absolute Unix socket directory");
    }
    const host = hostParam ?? (urlHost === "" ? "localhost" : urlHost);
    return { driver, host, port, user, password, database };
  }
  const socketPath = params.get("socket");
  if (socketPath !== undefined && !socketPath.startsWith("/")) {
    throw new DjangoConfigError(KEY, "?socket= must be an absolute Unix socket path");
  }
  return { driver, host: urlHost === "" ? "localhost" : urlHost, port, socketPath, user, password, database };
}

function parsePort(text: string, fallback: number): number {
  if (text === "") return fallback;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) throw new DjangoConfigError(KEY, `bad port "${text}"`);
  return port;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch (error) {
    throw new DjangoConfigError(KEY, "bad percent-encoding in the URL", { cause: error });
  }
}

/** The location as text for logs and error reasons, password masked. */
export function describeLocation(location: DatabaseLocation): string {
  if (location.driver === "sqlite") return `sqlite://${location.path}`;
  const user = location.user === undefined ? "" : `${location.user}${location.password === undefined ? "" : ":***"}@`;
  if (location.driver === "mysql" && location.socketPath !== undefined) {
    return `mysql://${user}localhost/${location.database}?socket=${location.socketPath}`;
  }
  const host = location.host.includes(":") ? `[${location.host}]` : location.host;
  const where = location.host.startsWith("/") ? `/${location.database}?host=${location.host}&port=${location.port}` : `${host}:${location.port}/${location.database}`;
  return `${location.driver}://${user}${where}`;
}
