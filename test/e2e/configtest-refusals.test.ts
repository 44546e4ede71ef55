// apache2 -t refuses what the worker would refuse, so nothing is found wrong for the first time when a request
// arrives. Every value of test/vectors/django-options.json goes through real configtest: the accepted ones all in
// one configuration that must say "Syntax OK", each refused one alone, whose output must be
// "NodeAuthDjangoOption: " and the worker's own message (test/unit/django-options-c-ts.test.ts holds the same
// vectors to the worker's checks). Then the module's other refusals: a key given twice, NodeAuthSocket past
// a Unix socket path's length, and the worker flags the module sets itself.
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, test } from "vitest";
import { configTest, REPO_ROOT } from "../harness/apache.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { loadDjangoOptionVectors } from "../support/django-option-vectors.js";
import { location } from "../support/httpd-conf.js";

const vectors = loadDjangoOptionVectors();
const DATABASE = "NodeAuthDjangoDatabase sqlite:///var/lib/anp-configtest/db.sqlite3";
/** A SECRET_KEY file only root can read (the session keys need one), and its test-only key. */
const SECRET_DIR = mkdtempSync(join(tmpdir(), "anp-configtest-secret-"));
const SECRET_KEY_TEXT = "configtest-secret-key-do-not-log-7f3a9c";
const SECRET_FILE = join(SECRET_DIR, "django-secret-key");
writeFileSync(SECRET_FILE, `${SECRET_KEY_TEXT}\nan-old-fallback-key\n`, { mode: 0o600 });
chmodSync(SECRET_DIR, 0o755);
afterAll(() => rmSync(SECRET_DIR, { recursive: true, force: true }));
const SESSION_KEYS = new Set(["session_engine", "session_cookie_name", "session_cookie_age", "session_file_path", "authentication_backends", "hashing_algorithm"]);
/** The lines a section needs besides the option: the database, and the secret for a session key. */
const needs = (key: string): string[] => (SESSION_KEYS.has(key) ? [DATABASE, `NodeAuthDjangoOption secret_key_file ${SECRET_FILE}`] : [DATABASE]);

/** A value as one word of httpd's configuration: quoted, so that spaces and empty values survive. */
function word(value: string): string {
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('"')) return `"${value}"`;
  throw new Error(`cannot quote ${value} for httpd`);
}

function conf(...sections: readonly string[]): string {
  return [moduleServerDirectives(REPO_ROOT, {}), ...sections].join("\n");
}

/** How httpd's error log writes a message: a backslash doubled, other bytes outside printable ASCII as \xhh. */
function asLogged(message: string): string {
  return [...Buffer.from(message, "utf8")]
    .map((b) => (b === 0x5c ? "\\\\" : b < 0x20 || b > 0x7e ? `\\x${b.toString(16).padStart(2, "0")}` : String.fromCharCode(b)))
    .join("");
}

/** configtest of a configuration; refused: the output must hold `message` (the part after "AH00526: ... line N"). */
async function expectRefused(configuration: string, message: string): Promise<void> {
  const result = await configTest({ conf: configuration });
  expect(result.output).toContain(asLogged(message));
  expect(result.output).not.toContain("Syntax OK");
  expect(result.ok).toBe(false);
}

describe("apache2 -t and NodeAuthDjangoOption: the worker's values and messages", () => {
  const accepts = Object.entries(vectors.options).flatMap(([key, o]) => o.accepts.map((value) => [key, value] as const));
  const refuses = Object.entries(vectors.options).flatMap(([key, o]) => o.refuses.map((r) => [key, r.value, r.message] as const));

  test(`accepts every value the worker accepts (${accepts.length}, one section each)`, async () => {
    const sections = accepts.map(([key, value], i) => location(`/accept-${i}/`, [...needs(key), `NodeAuthDjangoOption ${key} ${word(value)}`]));
    const result = await configTest({ conf: conf(...sections) });
    expect(result.output).toMatch(/Syntax OK/);
    expect(result.ok).toBe(true);
  });

  test.each(refuses)("refuses %s %j in the worker's words", async (key, value, message) => {
    await expectRefused(conf(location("/x/", [...needs(key), `NodeAuthDjangoOption ${key} ${word(value)}`])), `NodeAuthDjangoOption: ${message}`);
  });

  test.each(vectors.unknownKeys.map((u) => [u.key, u.message] as const))("refuses the unknown key %s", async (key, message) => {
    await expectRefused(conf(location("/x/", [DATABASE, `NodeAuthDjangoOption ${key} x`])), `NodeAuthDjangoOption: ${message}`);
  });

  test.each(vectors.moduleKeys.map((u) => [u.key, u.message] as const))("refuses %s, which the module writes itself", async (key, message) => {
    await expectRefused(conf(location("/x/", [DATABASE, `NodeAuthDjangoOption ${key} django`])), `NodeAuthDjangoOption: ${message}`);
  });
});

describe("apache2 -t and NodeAuthDjangoOption: how it is written", () => {
  test("refuses a key given twice in one section, even with the same value", async () => {
    for (const second of ["on", "off"]) {
      const lines = [DATABASE, "NodeAuthDjangoOption upgrade_hashes on", `NodeAuthDjangoOption upgrade_hashes ${second}`];
      await expectRefused(conf(location("/x/", lines)), "NodeAuthDjangoOption: upgrade_hashes: given twice in this section");
    }
  });

  test("accepts an inner section setting again what an outer one set", async () => {
    const result = await configTest({
      conf: conf(location("/x/", [DATABASE, "NodeAuthDjangoOption pool_size 2"]), location("/x/y/", ["NodeAuthDjangoOption pool_size 3"])),
    });
    expect(result.output).toMatch(/Syntax OK/);
    expect(result.ok).toBe(true);
  });

  test('takes "" for is_active_column and is_superuser_column (the model has no such field)', async () => {
    const lines = [DATABASE, 'NodeAuthDjangoOption is_active_column ""', "NodeAuthDjangoOption is_superuser_column ''"];
    const result = await configTest({ conf: conf(location("/x/", lines)) });
    expect(result.output).toMatch(/Syntax OK/);
    expect(result.ok).toBe(true);
  });

  test.each([
    ["no value", "NodeAuthDjangoOption user_table", 'NodeAuthDjangoOption takes two arguments, a key and its value ("" for none)'],
    ["nothing", "NodeAuthDjangoOption", 'NodeAuthDjangoOption takes two arguments, a key and its value ("" for none)'],
    ["three words", "NodeAuthDjangoOption hashers md5, sha1", "NodeAuthDjangoOption takes two arguments, a key and its value (quote a value with spaces)"],
  ])("refuses %s", async (_name, line, message) => {
    await expectRefused(conf(location("/x/", [DATABASE, line])), message);
  });

  test("refuses a control character in a value (spec text is line based)", async () => {
    await expectRefused(conf(location("/x/", [DATABASE, "NodeAuthDjangoOption user_table 'auth\tuser'"])), "NodeAuthDjangoOption: user_table: must not contain control characters");
  });
});

describe("apache2 -t and the session options", () => {
  test("takes a root-only secret_key_file with the session options, in this section or an enclosing one", async () => {
    const outer = location("/s/", [DATABASE, `NodeAuthDjangoOption secret_key_file ${SECRET_FILE}`, "NodeAuthDjangoOption session_engine signed_cookies"]);
    const inner = location("/s/inner/", ["NodeAuthDjangoOption session_cookie_name app_sid", "NodeAuthDjangoOption django_version 3.2", "NodeAuthDjangoOption hashing_algorithm sha1"]);
    const result = await configTest({ conf: conf(outer, inner) });
    expect(result.output).toMatch(/Syntax OK/);
    expect(result.output).not.toContain(SECRET_KEY_TEXT);
    expect(result.ok).toBe(true);
  });

  test("refuses a session option without secret_key_file", async () => {
    await expectRefused(conf(location("/x/", [DATABASE, "NodeAuthDjangoOption session_engine db"])), "NodeAuthDjangoOption session_engine: needs secret_key_file in the same or an enclosing section");
  });

  test("refuses use_tz off without time_zone (expiry in TIME_ZONE's local time), takes it with one", async () => {
    const base = [DATABASE, `NodeAuthDjangoOption secret_key_file ${SECRET_FILE}`, "NodeAuthDjangoOption use_tz off"];
    await expectRefused(conf(location("/x/", base)), "NodeAuthDjangoOption use_tz: off stores session expiry in TIME_ZONE's local time: set time_zone to the site's TIME_ZONE");
    const result = await configTest({ conf: conf(location("/x/", [...base, "NodeAuthDjangoOption time_zone Europe/Paris"])) });
    expect(result.output).toMatch(/Syntax OK/);
    expect(result.ok).toBe(true);
  });

  test("refuses hashing_algorithm sha1 unless django_version is 3.2 (the worker's spec check)", async () => {
    const lines = [DATABASE, `NodeAuthDjangoOption secret_key_file ${SECRET_FILE}`, "NodeAuthDjangoOption django_version 4.2", "NodeAuthDjangoOption hashing_algorithm sha1"];
    const result = await configTest({ conf: conf(location("/x/", lines)) });
    expect(result.output).toContain("hashing_algorithm: sha1 is Django 3.2's DEFAULT_HASHING_ALGORITHM only, and django_version is 4.2");
    expect(result.ok).toBe(false);
  });

  test("refuses a secret_key_file others, or httpd's User (the attacker, www-data), can read; never logs the key", async () => {
    const open = join(SECRET_DIR, "world-readable");
    writeFileSync(open, `${SECRET_KEY_TEXT}\n`, { mode: 0o644 });
    chmodSync(open, 0o644);
    await expectRefused(conf(location("/x/", [DATABASE, `NodeAuthDjangoOption secret_key_file ${open}`])), `${open} can be read or written by others`);
    const theirs = join(SECRET_DIR, "www-data-owned");
    writeFileSync(theirs, `${SECRET_KEY_TEXT}\n`, { mode: 0o600 });
    const uid = Number(spawnSync("id", ["-u", "www-data"], { encoding: "utf8" }).stdout.trim());
    chownSync(theirs, uid, 0);
    const result = await configTest({ conf: conf(location("/x/", [DATABASE, `NodeAuthDjangoOption secret_key_file ${theirs}`])) });
    expect(result.output).toContain(`${theirs} belongs to httpd's User`);
    expect(result.output).not.toContain(SECRET_KEY_TEXT);
    expect(result.ok).toBe(false);
    // The root-only file is one www-data cannot read.
    expect(spawnSync("runuser", ["-u", "www-data", "--", "cat", SECRET_FILE]).status).not.toBe(0);
  });

  test("refuses a secret_key_file whose first line is empty, without quoting the file", async () => {
    const empty = join(SECRET_DIR, "empty-first-line");
    writeFileSync(empty, `\n${SECRET_KEY_TEXT}\n`, { mode: 0o600 });
    const result = await configTest({ conf: conf(location("/x/", [DATABASE, `NodeAuthDjangoOption secret_key_file ${empty}`])) });
    expect(result.output).toContain("its first line (the SECRET_KEY) is empty");
    expect(result.output).not.toContain(SECRET_KEY_TEXT);
    expect(result.ok).toBe(false);
  });
});

describe("apache2 -t and the worker's command line", () => {
  test("takes a NodeAuthSocket path of 107 bytes and refuses one of 108, as the worker's --socket does", async () => {
    const base = "/run/anp-configtest-socket/";
    const fits = `${base}${"s".repeat(107 - base.length)}`;
    const over = `${fits}s`;
    const ok = await configTest({ conf: conf() + `\nNodeAuthSocket ${fits}` });
    expect(ok.output).toMatch(/Syntax OK/);
    expect(ok.ok).toBe(true);
    await expectRefused(conf() + `\nNodeAuthSocket ${over}`, `NodeAuthSocket: '${over}' is longer than a Unix socket path may be (107 bytes)`);
  });

  test.each([
    ["--socket /tmp/x.sock", "--socket is set by the module (use NodeAuthSocket)"],
    ["--socket=/tmp/x.sock", "--socket is set by the module (use NodeAuthSocket)"],
    ["--trust-uid 33", "--trust-uid is set by the module"],
    ["--trust-uid=www-data", "--trust-uid is set by the module"],
    ["--listen-fd 3", "--listen-fd is set by the module"],
    ["--bootstrap-fd=4", "--bootstrap-fd is set by the module"],
    ["--heartbeat-fd 5", "--heartbeat-fd is set by the module (use NodeAuthWorkerHeartbeat)"],
    ["--no-bootstrap", "--no-bootstrap is set by the module"],
    ["--timeout-ms 100", "--timeout-ms is set by the module (use NodeAuthTimeout)"],
    ["--log-level debug", "--log-level is set by the module (use NodeAuthWorkerLogLevel)"],
    ["--socket-mode 0666", "--socket-mode is set by the module"],
  ])("refuses NodeAuthWorkerArgs %s", async (args, message) => {
    await expectRefused(conf() + `\nNodeAuthWorkerArgs ${args}`, `NodeAuthWorkerArgs: ${message}`);
  });

  test("passes worker flags the module does not set", async () => {
    const result = await configTest({ conf: conf() + "\nNodeAuthWorkerArgs --socket-group www-data --config /etc/anp-configtest.json" });
    expect(result.output).toMatch(/Syntax OK/);
    expect(result.ok).toBe(true);
  });
});
