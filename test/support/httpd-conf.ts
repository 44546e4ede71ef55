// httpd.conf text the tests put after the harness's server directives: one builder, so every test
// indents and closes its <Location> sections alike.

/** A <Location> section: each line indented once, in the order given. */
export function location(path: string, lines: readonly string[]): string {
  return [`<Location "${path}">`, ...lines.map((line) => `    ${line}`), "</Location>"].join("\n");
}

/** A <Location> section that asks for Basic credentials in `realm`, then `lines`. */
export function basicLocation(path: string, realm: string, lines: readonly string[]): string {
  return location(path, ["AuthType Basic", `AuthName "${realm}"`, ...lines]);
}

/** A Django session location (`AuthType DjangoSession`, Django 3.2's formats) on `databaseUrl` with `engine`, then `lines`. */
export function djangoSessionLocation(path: string, settings: { databaseUrl: string; keyFile: string; engine: string }, lines: readonly string[]): string {
  return location(path, [
    "AuthType DjangoSession",
    `NodeAuthDjangoDatabase "${settings.databaseUrl}"`,
    "NodeAuthDjangoOption django_version 3.2",
    `NodeAuthDjangoOption secret_key_file ${settings.keyFile}`,
    `NodeAuthDjangoOption session_engine ${settings.engine}`,
    ...lines,
  ]);
}

/** Debian's directory of httpd's own modules. */
export const DEBIAN_MODULES = "/usr/lib/apache2/modules";

/** The LoadModule line of one of httpd's own modules, `name` as in mod_`name`.so. */
export function loadModule(name: string): string {
  return `LoadModule ${name}_module ${DEBIAN_MODULES}/mod_${name}.so`;
}

/**
 * The first lines of an httpd.conf with a ServerRoot of its own, for configtest and DUMP_CONFIG runs (never
 * started, so `port` may be any number): its pid file, runtime directory and error log inside `root`, httpd's
 * User and Group www-data when run as root (as Debian sets them), and the modules Basic authentication needs.
 */
export function standaloneHead(root: string, port: number): string[] {
  const runAs = process.getuid?.() === 0 ? ["User www-data", "Group www-data"] : [];
  return [
    `ServerRoot "${root}"`,
    "ServerName 127.0.0.1",
    `Listen 127.0.0.1:${String(port)}`,
    `PidFile "${root}/httpd.pid"`,
    `DefaultRuntimeDir "${root}"`,
    `ErrorLog "${root}/error.log"`,
    ...runAs,
    ...["mpm_event", "authz_core", "authn_core", "auth_basic", "authz_user"].map(loadModule),
  ];
}
