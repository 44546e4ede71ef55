// Issue 5, "one round trip per request": a location whose `Require node-permission` lines hold no
// ap_expr sends their names with the password check, and the worker answers the held ones in the same
// trip, so the permission check asks nothing more. Proven from the worker's own debug log (one
// check_password line per request, no has_permission line), with the statuses of real Django's
// has_perm for a direct holder, a holder through a group, a non-holder, a superuser and an inactive
// holder. A line with `%{` cannot be known before the request: it still asks the worker in authz.
import { test, expect, beforeAll, afterAll } from "vitest";
import { describeRequiring } from "../support/optional.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApache, printErrorLogOnFailure, nodeModuleBuilt, NODE_MODULE_PATH, REPO_ROOT, type ApacheServer } from "../harness/apache.js";
import { seedDjango, verdictFor, type CheckSpec, type DjangoVerdict } from "../fixtures/use-cases/django.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { eventually } from "../support/eventually.js";
import { basicLocation } from "../support/httpd-conf.js";
import { workerLine } from "../support/error-log.js";

const VIEW = "files.view_file";
const CHANGE = "files.change_file";

interface Person {
  readonly user: string;
  readonly password: string;
}

const direct: Person = { user: "vera", password: "views-Direct-1" };
const viaGroup: Person = { user: "gus", password: "group-Change-2" };
const none: Person = { user: "nina", password: "holds-None-3" };
const admin: Person = { user: "root-admin", password: "super-User-4" };
const inactive: Person = { user: "ivan", password: "gone-Away-5" };
const PEOPLE = [direct, viaGroup, none, admin, inactive];
const CHECKS: CheckSpec[] = PEOPLE.map((p) => ({ username: p.user, password: p.password, permissions: [VIEW, CHANGE] }));

/** Every folded shape: one line with two names, two lines that must both hold, and an expression line. */
function conf(databaseUrl: string): string {
  // The Django that seeded the users (Debian's python3-django 3.2): without it the worker takes the newest
  // version's PBKDF2 rounds for every unknown user and wrong password, near the request timeout.
  const handler = ["AuthBasicProvider node", `NodeAuthDjangoDatabase "${databaseUrl}"`, "NodeAuthDjangoOption django_version 3.2"];
  return [
    moduleServerDirectives(REPO_ROOT, { logLevel: "debug" }),
    basicLocation("/any/", "fold", [...handler, `Require node-permission ${VIEW} ${CHANGE}`]),
    basicLocation("/both/", "fold", [...handler, "<RequireAll>", `Require node-permission ${VIEW}`, `Require node-permission ${CHANGE}`, "</RequireAll>"]),
    basicLocation("/expr/", "fold", [...handler, "Require node-permission files.view_%{tolower:FILE}"]),
  ].join("\n");
}

const FILES = { "any/index.html": "any\n", "both/index.html": "both\n", "expr/index.html": "expr\n" };


describeRequiring(nodeModuleBuilt(), "the module built (npm run build)")(`Require node-permission folded into the password check (${NODE_MODULE_PATH})`, () => {
  let server: ApacheServer | undefined;
  let dir = "";
  let verdicts: DjangoVerdict[] = [];

  const verdict = (p: Person): DjangoVerdict => verdictFor(verdicts, p.user, p.password, CHECKS);
  const trips = (operation: string): number => (server!.errorLog().match(workerLine("debug", `${operation} user=`, "gm")) ?? []).length;
  /** What Django says this request should get: 401 for a failed login or a missing permission. */
  const expected = (p: Person, holds: (perms: Readonly<Record<string, boolean>>) => boolean): number =>
    verdict(p).check_password === true && holds(verdict(p).perms) ? 200 : 401;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "anp-permission-fold-"));
    const databaseUrl = `sqlite://${join(dir, "db.sqlite3")}`;
    verdicts = await seedDjango(databaseUrl, {
      permissions: [
        { app_label: "files", model: "file", codename: "view_file", name: "Can view file" },
        { app_label: "files", model: "file", codename: "change_file", name: "Can change file" },
      ],
      groups: [{ name: "editors", permissions: [CHANGE] }],
      users: [
        { username: direct.user, password: direct.password, permissions: [VIEW] },
        { username: viaGroup.user, password: viaGroup.password, groups: ["editors"] },
        { username: none.user, password: none.password },
        { username: admin.user, password: admin.password, is_superuser: true },
        { username: inactive.user, password: inactive.password, is_active: false, permissions: [VIEW, CHANGE] },
      ],
      checks: CHECKS,
    });
    server = await startApache({ files: FILES, conf: conf(databaseUrl) });
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  printErrorLogOnFailure(() => server);

  test("Django gives each person a different role", () => {
    expect(verdict(direct)).toMatchObject({ check_password: true, perms: { [VIEW]: true, [CHANGE]: false } });
    expect(verdict(viaGroup)).toMatchObject({ check_password: true, perms: { [VIEW]: false, [CHANGE]: true } });
    expect(verdict(none)).toMatchObject({ check_password: true, perms: { [VIEW]: false, [CHANGE]: false } });
    expect(verdict(admin)).toMatchObject({ check_password: true, perms: { [VIEW]: true, [CHANGE]: true } });
    expect(verdict(inactive).check_password).not.toBe(true);
  });

  test("folded lines: Django's statuses, one check_password trip per request and no has_permission trip", async () => {
    const checksBefore = trips("check_password");
    const permissionTripsBefore = trips("has_permission");
    let requests = 0;
    for (const p of PEOPLE) {
      const any = await server!.statusAs("/any/", p.user, p.password);
      const both = await server!.statusAs("/both/", p.user, p.password);
      requests += 2;
      expect({ who: p.user, any, both }).toEqual({
        who: p.user,
        any: expected(p, (perms) => perms[VIEW] === true || perms[CHANGE] === true),
        both: expected(p, (perms) => perms[VIEW] === true && perms[CHANGE] === true),
      });
    }
    // The worker logs each request it answers; wait for all of them, then count.
    expect(await eventually(() => trips("check_password") - checksBefore >= requests)).toBe(true);
    expect(trips("check_password") - checksBefore).toBe(requests);
    // An expression line is not folded: its has_permission trip shows the log would have shown ours.
    expect(await server!.statusAs("/expr/", direct.user, direct.password)).toBe(expected(direct, (perms) => perms[VIEW] === true));
    expect(await eventually(() => trips("has_permission") > permissionTripsBefore)).toBe(true);
    expect(trips("has_permission") - permissionTripsBefore).toBe(1);
    expect(server!.errorLog()).toMatch(/ANP0518: Require node-permission files.view_file files.change_file: user 'nina' has none of them \(permissions from the password check\)/);
  });

  test("the expression line still decides per request, for holders and non-holders", async () => {
    expect(await server!.statusAs("/expr/", none.user, none.password)).toBe(401);
    expect(await server!.statusAs("/expr/", admin.user, admin.password)).toBe(200);
    expect(await server!.statusAs("/expr/", inactive.user, inactive.password)).toBe(401);
  });
});
