// The handler specs the worker may run are the ones httpd's parent lists at start, from every way the
// configuration's sections can merge (native/mod/worker_inputs.c). What a request merges from nested
// sections, a handler from <Directory>, a group handler from <Location>, another from <If>, is on the
// list, so real checks pass; a configuration that makes more distinct handlers than the worker holds does
// not start. What a peer may not do (name another spec) is test/integration/worker-bootstrap.test.ts's.
import { afterAll, describe, expect, test } from "vitest";
import { join } from "node:path";
import { configTest, startApache, printErrorLogOnFailure, REPO_ROOT, type ApacheServer } from "../harness/apache.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";

const HANDLER = join(REPO_ROOT, "test/fixtures/module/handler.mjs");
const servers: Array<ApacheServer | undefined> = [];
printErrorLogOnFailure(() => servers);

afterAll(async () => {
  await Promise.all(servers.map((server) => server?.stop()));
});

describe("the handler allowlist httpd's parent gives the worker", () => {
  test("specs merged from <Directory>, <Location> and <If> at request time are on it: checks pass, none is refused", async () => {
    const server = await startApache({
      mpm: "event",
      conf: (layout) =>
        [
          moduleServerDirectives(REPO_ROOT),
          `<Directory "${layout.docRoot}/nested">`,
          "    AuthType Basic",
          '    AuthName "allowlist"',
          "    AuthBasicProvider node",
          `    NodeAuthUserScript "${HANDLER}"`,
          "    Require valid-user",
          "</Directory>",
          '<Location "/nested/group/">',
          `    NodeAuthGroupScript "${HANDLER}"`,
          "    Require node-group secret-agents",
          "</Location>",
          `<If "%{QUERY_STRING} == 'reload'">`,
          `    NodeAuthUserScript "${HANDLER}" reload=on`,
          "</If>",
        ].join("\n"),
      files: { "nested/index.html": "nested\n", "nested/group/index.html": "group\n" },
    });
    servers.push(server);
    expect(await server.statusAs("/nested/", "alice", "wonderland")).toBe(200);
    expect(await server.statusAs("/nested/", "alice", "wrong")).toBe(401);
    expect(await server.statusAs("/nested/group/", "alice", "wonderland")).toBe(200);
    expect(await server.statusAs("/nested/group/", "bob", "builder")).toBe(401);
    // Directory + Location + If: a spec that exists only as their merge.
    expect(await server.statusAs("/nested/group/?reload", "alice", "wonderland")).toBe(200);
    expect(await server.statusAs("/nested/?reload", "bob", "builder")).toBe(200);
    expect(server.errorLog()).not.toMatch(/handler spec not in httpd's configuration|was not passed by httpd's parent/);
  });

  test("more distinct handlers than the worker holds (254): httpd does not start, and apache2 -t says why", async () => {
    const locations = Array.from({ length: 255 }, (_, i) =>
      [`<Location "/h${i}/">`, "    AuthType Basic", '    AuthName "many"', "    AuthBasicProvider node", `    NodeAuthUserScript "/srv/auth/users-${i}.mjs"`, "    Require valid-user", "</Location>"].join("\n"),
    );
    const conf = [moduleServerDirectives(REPO_ROOT), ...locations].join("\n");
    // apache2 -t refuses it already (the worker's spec check gets the same list), and so does the start.
    const checked = await configTest({ conf });
    expect(checked.ok).toBe(false);
    expect(checked.output).toMatch(/ANP0344: the handler configuration is refused: .*make 255 distinct handlers; the worker holds at most 254/);
    await expect(startApache({ mpm: "event", conf })).rejects.toThrow(/ANP0344: .*make 255 distinct handlers; the worker holds at most 254/);
  });
});
