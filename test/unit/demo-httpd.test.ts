// The demo's and the Apache harness's building blocks that need no Apache: the config renderer,
// the raw HTTP client, and the demo's expectations from Django's answers.
import { describe, test, expect, afterEach, afterAll } from "vitest";
import { createServer, type Server } from "node:net";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderHttpdConfig } from "../../src/demo/httpd-config.js";
import { HttpdConfigError, HttpRequestError } from "../../src/errors.js";
import { httpRequest, basicAuthorization } from "../../src/demo/http-request.js";
import { expectationsFromDjango, formatChecks } from "../../src/demo/checks.js";
import { DEMO_LOGINS } from "../../src/demo/site.js";

describe("renderHttpdConfig", () => {
  const modulesDir = mkdtempSync(join(tmpdir(), "anp-modules-"));
  afterAll(() => rmSync(modulesDir, { recursive: true, force: true }));
  for (const name of ["mpm_event", "mpm_prefork", "authn_core", "authz_core", "authz_user", "auth_basic", "alias", "mime", "dir", "authn_file"]) {
    writeFileSync(join(modulesDir, `mod_${name}.so`), "");
  }
  const nodeModule = join(modulesDir, "mod_authnz_node.so");
  writeFileSync(nodeModule, "");
  const base = {
    serverRoot: "/srv/root",
    port: 41234,
    mpm: "event" as const,
    documentRoot: "/srv/root/htdocs",
    nodeModulePath: nodeModule,
    compiledIn: new Set(["core.c", "mod_log_config.c", "mod_unixd.c"]),
    modulesDir,
    body: "# body goes here",
  };

  test("loads the MPM, the base modules, extras and the module last; skips modules built into apache2", () => {
    const conf = renderHttpdConfig({ ...base, extraModules: ["authn_file"] });
    const loads = conf.split("\n").filter((line) => line.startsWith("LoadModule"));
    expect(loads.map((line) => line.split(" ")[1])).toEqual([
      "mpm_event_module", "authn_core_module", "authz_core_module", "authz_user_module", "auth_basic_module",
      "alias_module", "mime_module", "dir_module", "authn_file_module", "authnz_node_module",
    ]);
    expect(conf).not.toContain("log_config_module");
    expect(conf).toContain("Listen 127.0.0.1:41234");
    expect(conf).toContain('DefaultRuntimeDir "/srv/root/run"');
    expect(conf.trimEnd().endsWith("# body goes here")).toBe(true);
  });

  test("User/Group only when asked, prefork limits for prefork, no module line when nodeModulePath is null", () => {
    const conf = renderHttpdConfig({ ...base, mpm: "prefork", nodeModulePath: null, runAs: { user: "www-data", group: "www-data" } });
    expect(conf).toMatch(/^User www-data$/m);
    expect(conf).toMatch(/^Group www-data$/m);
    expect(conf).toContain("LoadModule mpm_prefork_module");
    expect(conf).toContain("MaxRequestWorkers 16");
    expect(conf).not.toContain("ThreadsPerChild");
    expect(conf).not.toContain("authnz_node_module");
    expect(renderHttpdConfig(base)).not.toMatch(/^User /m);
  });

  test("a module that exists nowhere is a typed error naming it", () => {
    expect(() => renderHttpdConfig({ ...base, extraModules: ["no_such_thing"] })).toThrow(HttpdConfigError);
    expect(() => renderHttpdConfig({ ...base, extraModules: ["no_such_thing"] })).toThrow(/module no_such_thing/);
    expect(() => renderHttpdConfig({ ...base, nodeModulePath: join(modulesDir, "missing.so") })).toThrow(/npm run build:native/);
  });
});

describe("httpRequest", () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.close();
    server = undefined;
  });

  /** A server that records the raw request and answers with `reply` (or never, when null). */
  async function rawServer(reply: string | null): Promise<{ port: number; received: () => Buffer }> {
    let received = Buffer.alloc(0);
    server = createServer((socket) => {
      socket.on("data", (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (reply !== null && received.includes("\r\n\r\n")) socket.end(reply);
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    return { port: address.port, received: () => received };
  }

  test("sends header bytes as given and parses status, headers and body", async () => {
    const { port, received } = await rawServer("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 2\r\n\r\nno");
    const raw = Buffer.from("Basic jürgen:pässwörd", "utf8");
    const response = await httpRequest({ port, path: "/p/", headers: [["Authorization", raw]] });
    expect(response.status).toBe(401);
    expect(response.headers["www-authenticate"]).toBe('Basic realm="x"');
    expect(response.body).toBe("no");
    const sent = received();
    expect(sent.subarray(0, 19).toString()).toBe("GET /p/ HTTP/1.0\r\nH");
    expect(sent.includes(Buffer.concat([Buffer.from("Authorization: "), raw, Buffer.from("\r\n")]))).toBe(true);
  });

  test("basicAuthorization encodes UTF-8", () => {
    expect(basicAuthorization("jürgen", "pässwörd")).toBe(`Basic ${Buffer.from("jürgen:pässwörd", "utf8").toString("base64")}`);
  });

  test("a connection closed without an answer, a silent server and a refused port are typed errors", async () => {
    const closing = await rawServer("");
    await expect(httpRequest({ port: closing.port, path: "/" })).rejects.toThrow(/incomplete HTTP response/);
    server?.close();
    const silent = await rawServer(null);
    await expect(httpRequest({ port: silent.port, path: "/", idleLimitMs: 200 })).rejects.toThrow(HttpRequestError);
    const port = silent.port;
    server?.close();
    server = undefined;
    await expect(httpRequest({ port, path: "/" })).rejects.toThrow(/failed: connect ECONNREFUSED/);
  });
});

describe("the demo's expectations", () => {
  test("come from Django's check_password and groups_for_user answers", () => {
    const answers = [
      { ok: true, result: true }, { ok: true, groups: ["secret-agents"] },
      { ok: true, result: true }, { ok: true, groups: [] },
      { ok: true, result: null }, { ok: true, groups: [] },
      { ok: true, result: false }, { ok: true, groups: ["secret-agents"] },
    ];
    const expectations = expectationsFromDjango(DEMO_LOGINS, answers, "secret-agents");
    expect(expectations.map((e) => [e.login.user, e.members, e.secret])).toEqual([
      ["alice", 200, 200],
      ["bob", 200, 401],
      // /members/ is AuthType DjangoSession with a login URL: whom Django refuses has no session, so 302.
      ["carol", 302, 401],
      ["jürgen", 302, 401],
    ]);
  });

  test("an answer that is not Django's shape is refused, not guessed", () => {
    expect(() => expectationsFromDjango(DEMO_LOGINS.slice(0, 1), [{ ok: true, result: "yes" }, { ok: true, groups: [] }], "g")).toThrow(/check_password for alice/);
    expect(() => expectationsFromDjango(DEMO_LOGINS.slice(0, 1), [{ ok: true, result: true }, { ok: true }], "g")).toThrow(/groups_for_user for alice/);
  });

  test("formatChecks marks failures", () => {
    const table = formatChecks([
      { what: "alice", path: "/secret/", expected: 200, got: 200, ok: true },
      { what: "bob", path: "/secret/", expected: 401, got: 200, ok: false },
    ]);
    expect(table.split("\n")).toHaveLength(4);
    expect(table).toMatch(/\| bob\s*\| \/secret\/ \| 401\s*\| 200 \| FAIL \|/);
  });
});
