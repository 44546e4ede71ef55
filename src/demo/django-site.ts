// The demo's Django site (scripts/django/demosite): Django's own login page, a logout and a home page,
// served by the demo's Apache on the same origin as the files it protects, through mod_wsgi in daemon
// mode. Its session cookies are what `AuthType DjangoSession` at /members/ reads.
//
// Who may read what, as root (the threat model: hostile code runs as httpd's User www-data):
// - the SECRET_KEY file: root and the site's own user (DEMO_SITE_USER), nobody else. The module reads it
//   as root at start (NodeAuthDjangoOption secret_key_file) and hands the key to the worker; Django reads
//   it as the mod_wsgi daemon's user. Anyone holding the key can forge a session for any user.
// - the SQLite database: the site's user writes it (logins, sessions), the worker's group reads it.
// - Python runs only in the daemon process (WSGIRestrictEmbedded On), never in www-data's children, which
//   only pass requests to it over mod_wsgi's socket.
import { cpSync, mkdirSync, writeFileSync, chmodSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { DEBIAN_PYTHON } from "./django-oracle.js";

/** The mod_wsgi daemon's user as root (scripts/bootstrap.sh creates it): the only one besides root that reads the key. */
export const DEMO_SITE_USER = "mod_authnz_node_django";

/** Where Django's views are mounted, and the login page AuthType DjangoSession sends browsers to. */
export const DJANGO_MOUNT = "/accounts";
export const DJANGO_LOGIN_URL = "/accounts/login/";
export const DJANGO_LOGOUT_URL = "/accounts/logout/";

export interface DjangoSite {
  /** The directory on the daemon's python-path (it holds the demosite package). */
  readonly siteRoot: string;
  readonly secretKeyFile: string;
  readonly databasePath: string;
}

/** Django's get_random_secret_key alphabet and length: 50 characters. */
function newSecretKey(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)";
  return [...randomBytes(50)].map((byte) => alphabet[byte % alphabet.length]).join("");
}

/**
 * Copies the site into `<stateDir>/django-site` (the checkout may be in a home directory the daemon's
 * user cannot enter), writes its local.json and a fresh SECRET_KEY file, and runs Django's migrate with
 * the site's settings on the demo's database (adding django_session to the tables seed_demo made).
 */
export function writeDjangoSite(repoRoot: string, stateDir: string, databasePath: string): DjangoSite {
  const siteRoot = join(stateDir, "django-site");
  const secretDir = join(stateDir, "django-secret");
  mkdirSync(secretDir, { recursive: true, mode: 0o700 });
  cpSync(join(repoRoot, "scripts/django/demosite"), join(siteRoot, "demosite"), { recursive: true, filter: (source) => !source.includes("__pycache__") });
  const secretKeyFile = join(secretDir, "secret_key");
  writeFileSync(secretKeyFile, `${newSecretKey()}\n`, { mode: 0o600 });
  writeFileSync(join(siteRoot, "demosite", "local.json"), `${JSON.stringify({ database: databasePath, secret_key_file: secretKeyFile }, null, 2)}\n`);
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: siteRoot, DJANGO_SETTINGS_MODULE: "demosite.settings", PYTHONDONTWRITEBYTECODE: "1" };
  delete env.PYTHONHOME;
  execFileSync(DEBIAN_PYTHON, ["-m", "django", "migrate", "--noinput", "-v", "0"], { env, stdio: ["ignore", "ignore", "pipe"] });
  return { siteRoot, secretKeyFile, databasePath };
}

/**
 * As root, after the state directory was opened to all: the key for root and the site's user only; the
 * database written by the site's user and read by the worker's group; no one else reaches either.
 */
export function lockDjangoSite(site: DjangoSite, dataDir: string, siteUser: string, workerGroup: string): void {
  const secretDir = join(site.secretKeyFile, "..");
  execFileSync("chown", ["-R", `root:${siteUser}`, secretDir]);
  chmodSync(secretDir, 0o750);
  chmodSync(site.secretKeyFile, 0o640);
  execFileSync("chown", ["-R", `${siteUser}:${workerGroup}`, dataDir]);
  // SQLite's writer makes its journal next to the database: the directory is the site user's to write.
  execFileSync("chmod", ["-R", "u=rwX,g=rX,o=", dataDir]);
}

/** The mod_wsgi directives: one daemon process group running the site, mounted at /accounts. */
export function djangoSiteConfig(site: DjangoSite, serverRoot: string, siteUser: string | null): string {
  const daemonUser = siteUser ? ` user=${siteUser} group=${siteUser}` : "";
  const script = join(site.siteRoot, "demosite", "wsgi.py");
  return [
    // No Python in Apache's own children (www-data): only the daemon runs Django.
    "WSGIRestrictEmbedded On",
    `WSGISocketPrefix "${join(serverRoot, "run", "wsgi")}"`,
    `WSGIDaemonProcess demo-django${daemonUser} processes=1 threads=4 python-path=${site.siteRoot} home=${site.siteRoot} display-name=%{GROUP}`,
    `WSGIScriptAlias ${DJANGO_MOUNT} "${script}" process-group=demo-django application-group=%{GLOBAL}`,
    `<Directory "${join(site.siteRoot, "demosite")}">`,
    "    <Files wsgi.py>",
    "        Require all granted",
    "    </Files>",
    "</Directory>",
  ].join("\n");
}
