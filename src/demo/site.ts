// The demo's web site: an open index page, /members/ for any active Django user logged in to the demo's
// Django site (AuthType DjangoSession: the browser's session cookie, no password prompt) and /secret/
// for the Django group secret-agents (Basic credentials checked against the same users).
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

/** A file under /members/: what a browser logged in to the Django site opens without a prompt. */
export const DEMO_MEMBERS_FILE = { path: "/members/file.txt", content: "members-only file: served by Apache to a Django session\n" } as const;

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
        `<li><a href="${DEMO_PAGES.members.path}">${DEMO_PAGES.members.path}</a>: any active Django user logged in to the <a href="/accounts/">Django site</a> (AuthType DjangoSession, Require valid-user)</li>`,
        `<li><a href="${DEMO_PAGES.secret.path}">${DEMO_PAGES.secret.path}</a>: members of the Django group ${DEMO_GROUP} (Require group ${DEMO_GROUP})</li>`,
        "</ul>",
      ].join("\n"),
    ),
  );
  writeFileSync(
    join(docRoot, "members", "index.html"),
    page("Members", `<p>${DEMO_PAGES.members.marker}: you are logged in to the Django site as an active user.</p>\n<p><a href="file.txt">file.txt</a></p>`),
  );
  writeFileSync(join(docRoot, DEMO_MEMBERS_FILE.path), DEMO_MEMBERS_FILE.content);
  writeFileSync(join(docRoot, "secret", "index.html"), page("Secret", `<p>${DEMO_PAGES.secret.marker}: you are in the Django group ${DEMO_GROUP}.</p>`));
}

/**
 * The <Location> blocks: the built-in Django handler, no script, set to the hasher parameters of
 * `djangoVersion` (the Django that made the database). /members/ reads the Django site's session cookie
 * (the SECRET_KEY from `secretKeyFile`, which the site signs with) and sends a browser without a
 * session to Django's login page; /secret/ asks for Basic credentials.
 */
export function demoAuthConfig(databaseUrl: string, djangoVersion: string, secretKeyFile: string, loginUrl: string): string {
  const django = [`    NodeAuthDjangoDatabase "${databaseUrl}"`, `    NodeAuthDjangoOption django_version ${djangoVersion}`];
  const members = [
    `<Location "${DEMO_PAGES.members.path}">`,
    "    AuthType DjangoSession",
    ...django,
    `    NodeAuthDjangoOption secret_key_file ${secretKeyFile}`,
    `    NodeAuthSessionLoginURL ${loginUrl}`,
    "    Require valid-user",
    "</Location>",
  ];
  const secret = [
    `<Location "${DEMO_PAGES.secret.path}">`,
    "    AuthType Basic",
    '    AuthName "mod_authnz_node demo"',
    "    AuthBasicProvider node",
    ...django,
    `    Require group ${DEMO_GROUP}`,
    "</Location>",
  ];
  return [...members, ...secret].join("\n");
}
