// The NodeAuth handler settings a URL path gets, worked out from httpd's parsed configuration
// (config-tree.ts) the way httpd and the module get them: httpd's location walk picks the <Location> and
// <LocationMatch> sections that match the path, in configuration order, the main server's before the
// virtual host's, and merges each over the ones before it with the module's per-directory merge
// (anp_merge_dir_conf in native/mod/config.c). Sections this does not evaluate (<Directory>, <Files>, <If>,
// ... that set a NodeAuth handler directive) make it refuse, naming them: never a silent wrong answer.
import { CliUsageError } from "../errors.js";
import { whereOf, type ConfigDirective, type ConfigSection } from "./config-tree.js";

/** One value with where it was set (`file:line`, or the section's header when mod_info printed no line). */
export interface Setting {
  readonly value: string;
  readonly where: string;
}

/** The module's per-directory handler fields; null / absent means unset (then inherited). */
export interface HandlerSettings {
  readonly database: Setting | null;
  readonly options: ReadonlyMap<string, Setting>;
  readonly userScript: Setting | null;
  readonly groupScript: Setting | null;
}

export const UNSET: HandlerSettings = { database: null, options: new Map(), userScript: null, groupScript: null };

const HANDLER_DIRECTIVES = new Set(["nodeauthdjangodatabase", "nodeauthdjangooption", "nodeauthuserscript", "nodeauthgroupscript"]);

/** Containers whose lines belong to the enclosing section's configuration (not sections of their own). */
const TRANSPARENT = new Set(["limit", "limitexcept", "requireall", "requireany", "requirenone"]);

export const isLocation = (section: ConfigSection): boolean => /^location(match)?$/i.test(section.kind);

function ownDirectives(section: ConfigSection): ConfigDirective[] {
  const inner = section.sections.filter((child) => TRANSPARENT.has(child.kind.toLowerCase()));
  return [...section.directives, ...inner.flatMap(ownDirectives)];
}

export const setsHandler = (section: ConfigSection): boolean => ownDirectives(section).some((d) => HANDLER_DIRECTIVES.has(d.name.toLowerCase()));

/** A section's own handler settings, as its directives set them in the module's record. */
export function ownSettings(section: ConfigSection): HandlerSettings {
  let database: Setting | null = null;
  let userScript: Setting | null = null;
  let groupScript: Setting | null = null;
  const options = new Map<string, Setting>();
  for (const directive of ownDirectives(section)) {
    const where = whereOf(directive) ?? section.header;
    const name = directive.name.toLowerCase();
    const [first, second] = directive.words;
    if (name === "nodeauthdjangodatabase" && first !== undefined) database = { value: first, where };
    else if (name === "nodeauthuserscript" && first !== undefined) userScript = { value: directive.raw, where };
    else if (name === "nodeauthgroupscript" && first !== undefined) groupScript = { value: directive.raw, where };
    else if (name === "nodeauthdjangooption" && first !== undefined && second !== undefined) options.set(first, { value: second, where });
  }
  return { database, options, userScript, groupScript };
}

/** anp_merge_dir_conf: each field the inner section sets wins; NodeAuthDjangoOption keys merge one by one. */
export function mergeSettings(base: HandlerSettings, add: HandlerSettings): HandlerSettings {
  return {
    database: add.database ?? base.database,
    options: new Map([...base.options, ...add.options]),
    userScript: add.userScript ?? base.userScript,
    groupScript: add.groupScript ?? base.groupScript,
  };
}

/** apr_fnmatch_test: does a <Location> path hold a wildcard (then it is matched as a whole, like fnmatch)? */
const isWildcard = (pattern: string): boolean => /(^|[^\\])([*?]|\[[^\]]*\])/.test(pattern);

/** fnmatch with FNM_PATHNAME, as a RegExp: `*`, `?` and `[...]` never match `/`. */
export function globRegExp(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    const close = c === "[" ? pattern.indexOf("]", i + 2) : -1;
    if (c === "\\" && i + 1 < pattern.length) out += (pattern[++i] as string).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (close > 0) {
      const body = pattern.slice(i + 1, close).replace(/\\/g, "\\\\").replace(/^[!^]/, "^");
      out += `(?!/)[${body}]`;
      i = close;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

/** Escapes and groups JavaScript reads as PCRE does; anything else (\A, \Z, (?i), possessive ...) is refused. */
const PORTABLE_REGEX = /^(?:[^\\(+*?{]|\\[dDwWsSbB.\\/\-^$|?*+()[\]{}]|\((?!\?)|\(\?(?::|=|!|<=|<!)|[+*?](?![+])|\{\d+(?:,\d*)?\}(?![+]))*$/;

/** A <LocationMatch> / <Location ~> pattern as a RegExp; a CliUsageError when JavaScript may read it otherwise. */
export function pcreRegExp(pattern: string, where: string): RegExp {
  try {
    if (PORTABLE_REGEX.test(pattern)) return new RegExp(pattern);
  } catch {
    // refused below
  }
  throw new CliUsageError(`${where}: the regular expression ${JSON.stringify(pattern)} uses PCRE syntax this command does not evaluate`);
}

/** Does httpd's location walk apply `section` to the URL path? (request.c: regex on r->uri, else fnmatch or prefix.) */
export function locationMatches(section: ConfigSection, path: string): boolean {
  const where = whereOf(section) ?? section.header;
  const [first, second] = section.words;
  if (/^locationmatch$/i.test(section.kind)) return pcreRegExp(first ?? "", where).test(path);
  if (first === "~") return pcreRegExp(second ?? "", where).test(path);
  const entry = first ?? "";
  // The walk compares against the path with runs of slashes merged (MergeSlashes on, the default).
  const cached = path.replace(/\/{2,}/g, "/");
  if (isWildcard(entry)) return globRegExp(entry).test(cached);
  if (!cached.startsWith(entry)) return false;
  // A pattern without a trailing slash matches whole path segments: /a matches /a and /a/b, not /ab.
  return entry.length === 0 || entry.endsWith("/") || cached.length === entry.length || cached[entry.length] === "/";
}

const hostPart = (name: string): string =>
  name
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, "")
    .replace(/:\d+$/, "")
    .toLowerCase();

const portOf = (address: string): string | null => /:(\d+|\*)$/.exec(address)?.[1] ?? null;

/** The <VirtualHost> whose ServerName or ServerAlias is NAME (and, with :PORT, that listens on PORT); refuses none or several. */
export function chooseVirtualHost(tree: ConfigSection, host: string): ConfigSection {
  const [, name, port] = /^(.*?)(?::(\d+))?$/.exec(host) as RegExpExecArray;
  const wanted = (name as string).toLowerCase();
  const found = tree.sections.filter((section) => {
    if (section.kind.toLowerCase() !== "virtualhost") return false;
    const names = section.directives.filter((d) => /^server(name|alias)$/i.test(d.name)).flatMap((d) => d.words.map(hostPart));
    if (!names.some((candidate) => (isWildcard(candidate) ? globRegExp(candidate).test(wanted) : candidate === wanted))) return false;
    return port === undefined || section.words.some((address) => [null, "*", port].includes(portOf(address)));
  });
  if (found.length === 0) throw new CliUsageError(`--host ${host}: no <VirtualHost> has that ServerName or ServerAlias${port === undefined ? "" : " on that port"} (httpd would pick the address's default host, which depends on the connection)`);
  if (found.length > 1) throw new CliUsageError(`--host ${host}: ${String(found.length)} virtual hosts match (${found.map((s) => whereOf(s) ?? s.header).join(", ")}); httpd picks by the connection's address: add :PORT`);
  return found[0] as ConfigSection;
}

/** Sections the walk here does not evaluate that set a handler directive, for the servers the request sees. */
function unevaluated(servers: readonly ConfigSection[]): ConfigSection[] {
  const inServer = (section: ConfigSection): ConfigSection[] =>
    section.sections.filter((inner) => inner.kind.toLowerCase() !== "virtualhost").flatMap((inner) => [inner, ...inServer(inner)]);
  return servers.flatMap((server) =>
    inServer(server).filter((section) => {
      if (TRANSPARENT.has(section.kind.toLowerCase())) return false;
      return !(isLocation(section) && section.parent === server) && setsHandler(section);
    }),
  );
}

export interface Effective {
  readonly settings: HandlerSettings;
  /** The sections applied, in merge order (header and file:line). */
  readonly applied: string[];
}

/** The handler settings a request for `path` gets: the main server's, or with `host` that virtual host's. */
export function effectiveSettings(tree: ConfigSection, path: string, host?: string): Effective {
  if (!path.startsWith("/")) throw new CliUsageError(`--location ${JSON.stringify(path)}: must be a URL path starting with /`);
  const vhost = host === undefined ? null : chooseVirtualHost(tree, host);
  const servers = vhost === null ? [tree] : [tree, vhost];
  const skipped = unevaluated(servers);
  if (skipped.length > 0) {
    const list = skipped.map((s) => `<${s.kind}> at ${whereOf(s) ?? s.header}`).join(", ");
    throw new CliUsageError(`--location: NodeAuth handler directives in ${list}: only <Location> and <LocationMatch> sections are evaluated (not <Directory>, <DirectoryMatch>, <Files>, <FilesMatch>, <If>/<ElseIf>/<Else> or sections inside a <Location>); use --database and --option`);
  }
  return locationWalk(servers, path);
}

/** httpd's location walk over the servers' <Location>/<LocationMatch> sections; a virtual host's merge puts the main server's first. */
export function locationWalk(servers: readonly ConfigSection[], path: string): Effective {
  const walk = servers.flatMap((server) => server.sections.filter(isLocation)).filter((section) => locationMatches(section, path));
  const settings = walk.reduce((merged, section) => mergeSettings(merged, ownSettings(section)), UNSET);
  return { settings, applied: walk.map((section) => `${section.header} (${whereOf(section) ?? "no line"})`) };
}

/**
 * The URL path a <Location> section names when it is a plain path (no wildcard, no regular expression):
 * the one path for which the walk gives exactly what a request to that section sees. Null otherwise.
 */
export function literalLocation(section: ConfigSection): string | null {
  const [first] = section.words;
  if (section.kind.toLowerCase() !== "location" || first === undefined || first === "~" || isWildcard(first) || !first.startsWith("/")) return null;
  return first;
}

/** The Django handler's spec for the location, or a CliUsageError naming it when it has none or runs a script. */
export function djangoSpecAt(tree: ConfigSection, path: string, host?: string): Record<string, string> {
  const { settings } = effectiveSettings(tree, path, host);
  const at = `--location ${path}${host === undefined ? "" : ` --host ${host}`}`;
  const script = settings.userScript ?? settings.groupScript;
  if (script !== null) throw new CliUsageError(`${at}: a handler script is configured (${script.where}); only the built-in Django handler can be checked here`);
  if (settings.database === null) throw new CliUsageError(`${at}: no NodeAuthDjangoDatabase applies to this location`);
  return { database: settings.database.value, ...Object.fromEntries([...settings.options].map(([key, setting]) => [key, setting.value])) };
}
