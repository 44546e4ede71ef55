// What the demo's --check asks Apache, and what the answer must be: the statuses come from
// Django's own modwsgi.check_password and groups_for_user for the same database, not from a table.
import { httpRequest, basicAuthorization } from "./http-request.js";
import { DEMO_PAGES, type DemoLogin } from "./site.js";
import type { OracleAnswer } from "./django-oracle.js";

export interface Expectation {
  readonly login: DemoLogin;
  /** Status for /members/ (Require valid-user). */
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
    return { login, members: valid ? 200 : 401, secret: valid && groups.includes(group) ? 200 : 401 };
  });
}

export interface CheckResult {
  readonly what: string;
  readonly path: string;
  readonly expected: number;
  readonly got: number | string;
  readonly ok: boolean;
}

async function probe(port: number, what: string, path: string, expected: number, authorization: string | null, marker: string | null): Promise<CheckResult> {
  try {
    const response = await httpRequest({ port, path, headers: authorization === null ? [] : [["Authorization", authorization]] });
    // A 200 must also be the page itself, and a 401 must ask for Basic credentials again.
    const bodyOk = response.status !== 200 || marker === null || response.body.includes(marker);
    const challengeOk = response.status !== 401 || /^Basic realm=/.test(response.headers["www-authenticate"] ?? "");
    const ok = response.status === expected && bodyOk && challengeOk;
    const got = bodyOk && challengeOk ? response.status : `${response.status} (${bodyOk ? "no Basic challenge" : "wrong body"})`;
    return { what, path, expected, got, ok };
  } catch (err) {
    return { what, path, expected, got: err instanceof Error ? err.message : String(err), ok: false };
  }
}

export async function runChecks(port: number, expectations: readonly Expectation[]): Promise<CheckResult[]> {
  const results: CheckResult[] = [
    await probe(port, "no credentials", "/", 200, null, "mod_authnz_node demo"),
    await probe(port, "no credentials", DEMO_PAGES.members.path, 401, null, null),
    await probe(port, "no credentials", DEMO_PAGES.secret.path, 401, null, null),
  ];
  for (const { login, members, secret } of expectations) {
    const authorization = basicAuthorization(login.user, login.password);
    results.push(await probe(port, `${login.user} / ${login.password}`, DEMO_PAGES.members.path, members, authorization, DEMO_PAGES.members.marker));
    results.push(await probe(port, `${login.user} / ${login.password}`, DEMO_PAGES.secret.path, secret, authorization, DEMO_PAGES.secret.marker));
  }
  const first = expectations[0]?.login;
  if (first) {
    results.push(await probe(port, `${first.user} / wrong password`, DEMO_PAGES.members.path, 401, basicAuthorization(first.user, `${first.password}-wrong`), null));
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
