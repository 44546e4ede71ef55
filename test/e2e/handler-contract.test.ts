// Every form of handler script that docs/handlers.md says works, driven through a real Apache and the
// real worker: `export default {...}`, CommonJS `module.exports = {...}` with mod_wsgi's names and
// `exports.name = ...`, groupsForUser returning a Set, a generator, an async iterable or bytes, and
// getRealmHash returning a Buffer (Digest through mod_auth_digest); and a script without the functions
// (ERROR, so 500). Each form is the only source of its location's answer, so a form the worker stopped
// understanding turns that location's 200 into a 500 (an ERROR answer) and the test goes red. The
// scripts are in test/fixtures/contract/.
import { test, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { startApache, printErrorLogOnFailure, nodeModuleBuilt, NODE_MODULE_PATH, REPO_ROOT, type ApacheServer } from "../harness/apache.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { describeRequiring } from "../support/optional.js";

const FIXTURES = join(REPO_ROOT, "test/fixtures/contract");
const DEFAULT_EXPORT = join(FIXTURES, "default-export.mjs");
const MODULE_EXPORTS = join(FIXTURES, "module-exports.cjs");
const EXPORTS_FIELDS = join(FIXTURES, "exports-fields.cjs");
const GROUPS_FORMS = join(FIXTURES, "groups-forms.mjs");
const BUFFER_REALM = join(FIXTURES, "buffer-realm.mjs");
const NO_FUNCTIONS = join(FIXTURES, "no-functions.mjs");

/** A Basic location whose password and group handler is `script`. */
function basic(path: string, script: string, requireLine: string): string {
  return [
    `<Location "${path}">`,
    "    AuthType Basic",
    '    AuthName "contract"',
    "    AuthBasicProvider node",
    `    NodeAuthUserScript "${script}"`,
    `    NodeAuthGroupScript "${script}"`,
    `    ${requireLine}`,
    "</Location>",
  ].join("\n");
}

const DIGEST_REALM = [
  '<Location "/digest-buffer/">',
  "    AuthType Digest",
  '    AuthName "buffer realm"',
  "    AuthDigestProvider node",
  `    NodeAuthUserScript "${BUFFER_REALM}"`,
  "    Require valid-user",
  "</Location>",
].join("\n");

const LOCATIONS: ReadonlyArray<readonly [string, string, string]> = [
  ["/default/", DEFAULT_EXPORT, "Require node-group defaults"],
  ["/commonjs/", MODULE_EXPORTS, "Require node-group commons"],
  ["/exports/", EXPORTS_FIELDS, "Require valid-user"],
  ["/set/", GROUPS_FORMS, "Require node-group setters"],
  ["/generator/", GROUPS_FORMS, "Require node-group generated"],
  ["/async/", GROUPS_FORMS, "Require node-group awaited"],
  ["/bytes/", GROUPS_FORMS, 'Require node-group "bytes-ü"'],
  ["/bytes-raw/", GROUPS_FORMS, "Require node-group raw"],
  ["/missing/", NO_FUNCTIONS, "Require valid-user"],
  ["/missing-groups/", NO_FUNCTIONS, "Require node-group defaults"],
];

const FILES = Object.fromEntries(
  [...LOCATIONS.map(([path]) => path), "/digest-buffer/"].map((path) => [`${path.slice(1)}index.html`, `${path}\n`]),
);

/** curl with HTTP Digest (the harness speaks Basic only); the status code. */
function digestStatus(server: ApacheServer, path: string, user: string, password: string): number {
  const run = spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--digest", "-u", `${user}:${password}`, server.url(path)], {
    encoding: "utf8",
    timeout: 60_000,
  });
  return Number(run.stdout);
}

describeRequiring(nodeModuleBuilt(), "the module built (npm run build)")(`the handler contract's forms through Apache (${NODE_MODULE_PATH})`, () => {
  let server: ApacheServer | undefined;

  beforeAll(async () => {
    server = await startApache({
      files: FILES,
      modules: ["auth_digest"],
      conf: [
        moduleServerDirectives(REPO_ROOT, { logLevel: "debug" }),
        "LogLevel info authnz_node:debug",
        ...LOCATIONS.map(([path, script, line]) => basic(path, script, line)),
        DIGEST_REALM,
      ].join("\n"),
    });
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
  });

  printErrorLogOnFailure(() => server);

  test("export default { checkPassword, groupsForUser }: right password and group 200, wrong 401, unknown 401", async () => {
    expect(await server!.statusAs("/default/", "deft", "deft-pw")).toBe(200);
    expect(await server!.statusAs("/default/", "deft", "deft-px")).toBe(401);
    expect(await server!.statusAs("/default/", "nobody", "deft-pw")).toBe(401);
  });

  test("module.exports = { check_password, groups_for_user } (CommonJS, mod_wsgi's names)", async () => {
    expect(await server!.statusAs("/commonjs/", "commoner", "common-pw")).toBe(200);
    expect(await server!.statusAs("/commonjs/", "commoner", "common-px")).toBe(401);
    expect(await server!.statusAs("/commonjs/", "nobody", "common-pw")).toBe(401);
  });

  test("exports.checkPassword = async (...) (CommonJS fields, a promise)", async () => {
    expect(await server!.statusAs("/exports/", "fielder", "field-pw")).toBe(200);
    expect(await server!.statusAs("/exports/", "fielder", "field-px")).toBe(401);
  });

  test.each([
    ["/set/", "a Set", "setter", "set-pw"],
    ["/generator/", "a generator", "gene", "gene-pw"],
    ["/async/", "an async iterable", "asyncer", "async-pw"],
    ["/bytes/", "a Buffer of UTF-8", "byter", "byte-pw"],
    ["/bytes-raw/", "a Uint8Array", "byter", "byte-pw"],
  ])("groupsForUser at %s returning %s: its member gets 200, a user whose array lacks the group 401", async (path, _form, user, password) => {
    expect(await server!.statusAs(path, user, password)).toBe(200);
    // plain's groups are a plain array, so this denial does not depend on the form under test.
    expect(await server!.statusAs(path, "plain", "plain-pw")).toBe(401);
  });

  test("getRealmHash returning a Buffer of the hex digits: Digest with the right password 200, wrong 401", () => {
    expect(digestStatus(server!, "/digest-buffer/", "hexer", "hex-pw")).toBe(200);
    expect(digestStatus(server!, "/digest-buffer/", "hexer", "hex-px")).toBe(401);
    expect(digestStatus(server!, "/digest-buffer/", "nobody", "hex-pw")).toBe(401);
  });

  test("no answer above was an ERROR: the worker logged no failed call", () => {
    // The /missing/ case below errs on purpose; its lines name its script or its reason.
    const log = server!
      .errorLog()
      .split("\n")
      .filter((line) => !line.includes("no-functions.mjs") && !line.includes("script exports no"))
      .join("\n");
    expect(log).not.toMatch(/-> ERROR/);
    expect(log).not.toMatch(/ANP05(02|06|08|09|13|15)/);
  });

  test("a script that exports no checkPassword: 500 (ERROR), not 401, for any credentials", async () => {
    expect(await server!.statusAs("/missing/", "deft", "deft-pw")).toBe(500);
    expect(await server!.statusAs("/missing/", "nobody", "x")).toBe(500);
    expect(await server!.statusAs("/missing-groups/", "deft", "deft-pw")).toBe(500);
    expect(server!.errorLog()).toMatch(/ANP0506: the worker could not check the password of user 'nobody': script exports no checkPassword/);
  });
});
