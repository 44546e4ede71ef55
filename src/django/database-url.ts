// Parses the handler's `database=` URL into where to connect. Credentials in the URL are the database
// account's, never a user's; describe() masks the password so a URL can appear in logs and reasons.
import { isIP } from "node:net";
import { DjangoConfigError } from "../errors.js";

/**
 * TLS to the database server, in the terms both URL forms map onto: "none" encrypts without checking
 * the certificate (sslmode=require, ssl-mode=REQUIRED), "ca" checks that a trusted CA signed it
 * (verify-ca, VERIFY_CA), "full" checks that too and that it names the host connected to (verify-full,
 * VERIFY_IDENTITY). `caFile` is the CA bundle to trust (sslrootcert, ssl-ca); without it, Node's own
 * list of public CAs. Undefined on a location: no TLS (sslmode=disable, ssl-mode=DISABLED, or none given).
 */
export interface TlsSettings {
  readonly verify: "none" | "ca" | "full";
  readonly caFile: string | undefined;
}

export interface PostgresLocation {
  readonly driver: "postgres";
  /** A host name, an IP address, or an absolute Unix socket directory. */
  readonly host: string;
  readonly port: number;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string;
  readonly tls?: TlsSettings;
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
  readonly tls?: TlsSettings;
}

export interface SqliteLocation {
  readonly driver: "sqlite";
  /** Absolute path of the database file. */
  readonly path: string;
}

export type DatabaseLocation = PostgresLocation | MysqlLocation | SqliteLocation;

const KEY = "database";

/** Each URL form's TLS parameters: the mode's name, its values, and the CA file's name. */
const TLS_PARAMS = {
  postgres: {
    mode: "sslmode",
    ca: "sslrootcert",
    modes: { disable: null, require: "none", "verify-ca": "ca", "verify-full": "full" },
  },
  mysql: {
    mode: "ssl-mode",
    ca: "ssl-ca",
    modes: { DISABLED: null, REQUIRED: "none", VERIFY_CA: "ca", VERIFY_IDENTITY: "full" },
  },
} as const satisfies Record<string, { mode: string; ca: string; modes: Record<string, TlsSettings["verify"] | null> }>;

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
  const tlsNames = [TLS_PARAMS[driver].mode, TLS_PARAMS[driver].ca];
  const allowed = [...(driver === "postgres" ? ["host", "port"] : ["socket"]), ...tlsNames];
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
  const tls = parseTls(params, driver);

  if (driver === "postgres") {
    if (hostParam !== undefined && !hostParam.startsWith("/")) {
      throw new DjangoConfigError(KEY, "?host= must be an absolute Unix socket directory");
    }
    const host = hostParam ?? (urlHost === "" ? "localhost" : urlHost);
    if (tls !== undefined && host.startsWith("/")) throw noTlsOnSocket("sslmode");
    return { driver, host, port, user, password, database, ...(tls === undefined ? {} : { tls }) };
  }
  const socketPath = params.get("socket");
  if (socketPath !== undefined && !socketPath.startsWith("/")) {
    throw new DjangoConfigError(KEY, "?socket= must be an absolute Unix socket path");
  }
  const host = urlHost === "" ? "localhost" : urlHost;
  if (tls !== undefined && socketPath !== undefined) throw noTlsOnSocket("ssl-mode");
  // mysql2 checks the certificate's names only for a host name: given an IP address, Node's TLS compares
  // the certificate with "localhost" instead, which would pass for any server holding such a certificate.
  if (tls?.verify === "full" && socketPath === undefined && isIP(host) !== 0) {
    throw new DjangoConfigError(KEY, "ssl-mode=VERIFY_IDENTITY: connect by the host name the certificate carries, not an IP address (the MySQL driver checks names only)");
  }
  return { driver, host, port, socketPath, user, password, database, ...(tls === undefined ? {} : { tls }) };
}

/**
 * TLS is asked for TCP only: a Unix socket stays on the machine and its permissions protect it, and
 * PostgreSQL speaks no TLS on one, so a URL asking for both would fail at every connection there.
 */
function noTlsOnSocket(modeParam: string): DjangoConfigError {
  return new DjangoConfigError(KEY, `${modeParam}: TLS is for TCP connections, not a Unix socket (the socket's permissions protect it)`);
}

/** The TLS parameters of a server URL; undefined: no TLS. Unknown modes are refused, naming the key. */
function parseTls(params: ReadonlyMap<string, string>, driver: "postgres" | "mysql"): TlsSettings | undefined {
  const names = TLS_PARAMS[driver];
  const modeText = params.get(names.mode);
  const caFile = params.get(names.ca);
  const modes: Readonly<Record<string, TlsSettings["verify"] | null>> = names.modes;
  if (modeText !== undefined && !Object.hasOwn(modes, modeText)) {
    throw new DjangoConfigError(KEY, `${names.mode}: unknown value "${modeText}" (allowed: ${Object.keys(modes).join(", ")})`);
  }
  const verify = modeText === undefined ? null : (modes[modeText] ?? null);
  if (caFile !== undefined && !caFile.startsWith("/")) throw new DjangoConfigError(KEY, `${names.ca}: must be an absolute path`);
  // A CA file that nothing checks against would look like protection and give none.
  if (caFile !== undefined && verify !== "ca" && verify !== "full") {
    const verifying = Object.keys(modes).filter((name) => modes[name] === "ca" || modes[name] === "full");
    throw new DjangoConfigError(KEY, `${names.ca}: needs ${names.mode}=${verifying.join(" or ")}`);
  }
  return verify === null ? undefined : { verify, caFile };
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
