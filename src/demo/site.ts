// The demo's web site: an open index page, /members/ for any active Django user and /secret/
// for the Django group secret-agents, the seed's two configurations with `wsgi` swapped for `node`.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface DemoLogin {
  readonly user: string;
  readonly password: string;
  /** What the account is in scripts/django/oracle.py's seed_demo. */
  readonly about: string;
}

/** The accounts seed_demo creates (scripts/django/oracle.py). */
export const DEMO_LOGINS: readonly DemoLogin[] = [
  { user: "alice", password: "wonderland", about: "active, in secret-agents" },
  { user: "bob", password: "builder", about: "active, in no group" },
  { user: "carol", password: "inactive", about: "inactive, in secret-agents" },
  { user: "jürgen", password: "pässwörd", about: "active, in secret-agents, non-ASCII name and password" },
];

export const DEMO_GROUP = "secret-agents";

/**
 * As root the worker runs as this user (scripts/bootstrap.sh creates it), not as Apache's User
 * www-data, and only it can read the database: PHP or CGI running as www-data cannot read the hashes.
 */
export const DEMO_WORKER_USER = "mod_authnz_node";

/** The protected pages, each with the marker text the --check looks for in the body. */
export const DEMO_PAGES = {
  members: { path: "/members/", marker: "members-only page" },
  secret: { path: "/secret/", marker: "secret-agents page" },
} as const;

const page = (title: string, body: string) =>
  `<!doctype html>\n<html><head><meta charset="utf-8"><title>${title}</title></head>\n<body><h1>${title}</h1>\n${body}\n</body></html>\n`;

export function writeDemoSite(docRoot: string): void {
  mkdirSync(join(docRoot, "members"), { recursive: true });
  mkdirSync(join(docRoot, "secret"), { recursive: true });
  writeFileSync(
    join(docRoot, "index.html"),
    page(
      "mod_authnz_node demo",
      [
        "<p>Apache checks these pages against a Django database through mod_authnz_node:</p>",
        "<ul>",
        `<li><a href="${DEMO_PAGES.members.path}">${DEMO_PAGES.members.path}</a>: any active Django user (Require valid-user)</li>`,
        `<li><a href="${DEMO_PAGES.secret.path}">${DEMO_PAGES.secret.path}</a>: members of the Django group ${DEMO_GROUP} (Require group ${DEMO_GROUP})</li>`,
        "</ul>",
      ].join("\n"),
    ),
  );
  writeFileSync(join(docRoot, "members", "index.html"), page("Members", `<p>${DEMO_PAGES.members.marker}: you are an active Django user.</p>`));
  writeFileSync(join(docRoot, "secret", "index.html"), page("Secret", `<p>${DEMO_PAGES.secret.marker}: you are in the Django group ${DEMO_GROUP}.</p>`));
}

/**
 * The <Location> blocks: the built-in Django handler, no script, set to the hasher parameters of
 * `djangoVersion` (the Django that made the database).
 */
export function demoAuthConfig(databaseUrl: string, djangoVersion: string): string {
  const location = (path: string, require: string) =>
    [
      `<Location "${path}">`,
      "    AuthType Basic",
      '    AuthName "mod_authnz_node demo"',
      "    AuthBasicProvider node",
      `    NodeAuthDjangoDatabase "${databaseUrl}"`,
      `    NodeAuthDjangoOption django_version ${djangoVersion}`,
      `    ${require}`,
      "</Location>",
    ].join("\n");
  return [location(DEMO_PAGES.members.path, "Require valid-user"), location(DEMO_PAGES.secret.path, `Require group ${DEMO_GROUP}`)].join("\n");
}
