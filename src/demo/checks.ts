// What the demo's --check asks Apache, and what the answer must be: the statuses come from
// Django's own modwsgi.check_password and groups_for_user for the same database, not from a table.
// /members/ is reached with the session cookie of a login through the demo's Django site; /secret/
// with Basic credentials.
import { httpRequest, basicAuthorization, type HttpResponse } from "./http-request.js";
import { DEMO_PAGES, type DemoLogin } from "./site.js";
import { djangoLogin, SESSION_COOKIE_NAME } from "./django-login.js";
import { DJANGO_LOGIN_URL } from "./django-site.js";
import type { OracleAnswer } from "./django-oracle.js";

export interface Expectation {
  readonly login: DemoLogin;
  /** Status for /members/ (AuthType DjangoSession, Require valid-user): 200, or 302 to the login page. */
  readonly members: number;
  /** Status for /secret/ (Require group ...). */
  readonly secret: number;
}

/**
 * `answers` are, per login in order, Django's check_password answer then its groups_for_user
 * answer: granted (true) gets /members/, granted and in `group` gets /secret/, anything else 401.
 */
export function expectationsFromDjango(logins: readonly DemoLogin[], answers: readonly OracleAnswer[], group: string): Expectation[] {
  return logins.map((login, index) => {
    const checked = answers[2 * index]?.result;
    const groups = answers[2 * index + 1]?.groups;
    if (checked !== true && checked !== false && checked !== null) throw new Error(`Django's check_password for ${login.user} answered ${JSON.stringify(checked)}`);
    if (!Array.isArray(groups)) throw new Error(`Django's groups_for_user for ${login.user} answered ${JSON.stringify(groups)}`);
    const valid = checked === true;
    // Django's login form refuses whom check_password refuses: no session, so /members/ sends to the login page.
    return { login, members: valid ? 200 : 302, secret: valid && groups.includes(group) ? 200 : 401 };
  });
}

export interface CheckResult {
  readonly what: string;
  readonly path: string;
  readonly expected: number;
  readonly got: number | string;
  readonly ok: boolean;
}

/** How `response` falls short of a right answer, or null: a 200 is the page itself, a 401 asks for Basic, a 302 goes to Django's login page with `next`. */
function flaw(response: HttpResponse, path: string, marker: string | null): string | null {
  if (response.status === 200 && marker !== null && !response.body.includes(marker)) return "wrong body";
  if (response.status === 401 && !/^Basic realm=/.test(response.headers["www-authenticate"] ?? "")) return "no Basic challenge";
  const login = `${DJANGO_LOGIN_URL}?next=${path}`;
  if (response.status === 302 && !(response.headers.location ?? "").endsWith(login)) return `not to ${login}`;
  return null;
}

type Credentials = { readonly authorization: string } | { readonly session: string | null } | null;

async function probe(port: number, what: string, path: string, expected: number, credentials: Credentials, marker: string | null): Promise<CheckResult> {
  try {
    const headers: Array<[string, string]> = [];
    if (credentials && "authorization" in credentials) headers.push(["Authorization", credentials.authorization]);
    if (credentials && "session" in credentials && credentials.session !== null) headers.push(["Cookie", `${SESSION_COOKIE_NAME}=${credentials.session}`]);
    const response = await httpRequest({ port, path, headers });
    const wrong = flaw(response, path, marker);
    const ok = response.status === expected && wrong === null;
    return { what, path, expected, got: wrong === null ? response.status : `${response.status} (${wrong})`, ok };
  } catch (err) {
    return { what, path, expected, got: err instanceof Error ? err.message : String(err), ok: false };
  }
}

export async function runChecks(port: number, expectations: readonly Expectation[]): Promise<CheckResult[]> {
  const results: CheckResult[] = [
    await probe(port, "no credentials", "/", 200, null, "mod_authnz_node demo"),
    await probe(port, "no credentials", DEMO_PAGES.members.path, 302, null, null),
    await probe(port, "no credentials", DEMO_PAGES.secret.path, 401, null, null),
  ];
  for (const { login, members, secret } of expectations) {
    const authorization = basicAuthorization(login.user, login.password);
    const { session } = await djangoLogin(port, login.user, login.password);
    results.push(await probe(port, `${login.user} / ${login.password}`, DEMO_PAGES.members.path, members, { session }, DEMO_PAGES.members.marker));
    results.push(await probe(port, `${login.user} / ${login.password}`, DEMO_PAGES.secret.path, secret, { authorization }, DEMO_PAGES.secret.marker));
  }
  const first = expectations[0]?.login;
  if (first) {
    const wrong = `${first.password}-wrong`;
    const { session } = await djangoLogin(port, first.user, wrong);
    results.push(await probe(port, `${first.user} / wrong password`, DEMO_PAGES.members.path, 302, { session }, null));
    results.push(await probe(port, `${first.user} / wrong password`, DEMO_PAGES.secret.path, 401, { authorization: basicAuthorization(first.user, wrong) }, null));
    // A cookie Django never issued is no session.
    results.push(await probe(port, "forged session cookie", DEMO_PAGES.members.path, 302, { session: "x".repeat(32) }, null));
  }
  return results;
}

export function formatChecks(results: readonly CheckResult[]): string {
  const header = ["credentials", "path", "expected", "got", ""];
  const rows = results.map((r) => [r.what, r.path, String(r.expected), String(r.got), r.ok ? "ok" : "FAIL"]);
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => (row[column] ?? "").length)));
  const line = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}
