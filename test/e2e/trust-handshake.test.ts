// Peers must prove they are httpd's children (docs/protocol.md, "Connection life"): a www-data process
// that connects to the worker's socket without the generation key gets no answer to anything after HELLO
// (no GRANTED, DENIED, USER_NOT_FOUND nor ERROR: no byte at all before the worker closes), and the handler
// never runs for it (so the time to the close does not depend on whom the request names), whether it
// sends no AUTH, a random one, the worker's own PROOF reflected, or a proof made under another key.
// Meanwhile httpd's own children, which hold the key, are answered as before.
import { afterAll, beforeAll, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApache, printErrorLogOnFailure, REPO_ROOT, type ApacheServer } from "../harness/apache.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { eventually } from "../support/eventually.js";
import { PROTOCOL_VERSION, Status } from "../../src/protocol/constants.js";
import { addonPath } from "../../src/native/addon.js";
import { describeRequiring } from "../support/optional.js";
import { WORKER_LISTENING } from "../support/error-log.js";

const IS_ROOT = process.getuid?.() === 0;
const ATTACKER = join(REPO_ROOT, "test/fixtures/module/handshake-attacker.mjs");
const dir = mkdtempSync(join(tmpdir(), "anp-trust-handshake-"));
const MARKER = join(dir, "mallory-calls");
const HANDLER = join(dir, "handler.mjs");
/** The spec text the module sends for NodeAuthUserScript (config.c), so the worker would run it. */
const SPEC = `type=script\npath=${HANDLER}\nreload=off\n`;
/** How long the handler takes for the user "slowpoke": what a peer would time if the handler ran for it. */
const SLOW_CHECK_MS = 1500;

interface AttackResult {
  readonly helloStatus: number | null;
  readonly helloProof: boolean;
  readonly bytesAfterHello: number;
  readonly closed: boolean;
  readonly msToClose: number | null;
}

function idOf(flag: "-u" | "-g", user: string): number {
  return Number(spawnSync("id", [flag, user], { encoding: "utf8" }).stdout.trim());
}

/** The attacker fixture as www-data (setpriv drops every group but www-data's). */
function attack(socket: string, mode: string, credentials: readonly string[] = []): AttackResult {
  const run = spawnSync(
    "setpriv",
    [`--reuid=${idOf("-u", "www-data")}`, `--regid=${idOf("-g", "www-data")}`, "--clear-groups", process.execPath, ATTACKER, socket, String(PROTOCOL_VERSION), SPEC, mode, addonPath, ...credentials],
    { encoding: "utf8", timeout: 30_000 },
  );
  const line = run.stdout.trim().split("\n").pop() ?? "";
  if (!line) throw new Error(`attacker printed nothing (status ${String(run.status)}): ${run.stderr}`);
  return JSON.parse(line) as AttackResult;
}

const servers: Array<ApacheServer | undefined> = [];
printErrorLogOnFailure(() => servers);

describeRequiring(IS_ROOT, "root, to play a www-data peer")("a www-data peer without the generation key", () => {
  let server: ApacheServer;
  let socket = "";

  beforeAll(async () => {
    chmodSync(dir, 0o777); // the worker appends to MARKER as whatever user it runs as
    writeFileSync(
      HANDLER,
      [
        'import { appendFileSync } from "node:fs";',
        "export async function checkPassword(environ, user, password) {",
        `  if (user === "mallory") appendFileSync(${JSON.stringify(MARKER)}, "x");`,
        `  if (user === "slowpoke") await new Promise((done) => setTimeout(done, ${SLOW_CHECK_MS}));`,
        '  return user === "alice" && password === "wonderland";',
        "}",
        "",
      ].join("\n"),
    );
    chmodSync(HANDLER, 0o644);
    server = await startApache({
      mpm: "event",
      conf: [
        moduleServerDirectives(REPO_ROOT, { logLevel: "debug" }),
        '<Location "/valid/">',
        "    AuthType Basic",
        '    AuthName "handshake"',
        "    AuthBasicProvider node",
        `    NodeAuthUserScript "${HANDLER}"`,
        "    Require valid-user",
        "</Location>",
      ].join("\n"),
      files: { "valid/index.html": "valid\n" },
      logLevel: "info authnz_node:debug",
    });
    servers.push(server);
    const listening = await eventually(async () => Promise.resolve(WORKER_LISTENING.exec(server.errorLog()) !== null), 600);
    if (!listening) throw new Error("the worker never said it was listening");
    socket = WORKER_LISTENING.exec(server.errorLog())?.[1] ?? "";
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("httpd's children pass the handshake: 200", async () => {
    expect(await server.statusAs("/valid/", "alice", "wonderland")).toBe(200);
  });

  for (const mode of ["none", "random", "reflect", "wrong-key"]) {
    test(`AUTH ${mode === "none" ? "left out" : mode}: no byte after HELLO's answer, closed, no handler run`, async () => {
      const result = attack(socket, mode);
      expect(result.helloStatus).toBe(Status.GRANTED);
      // The worker proves itself first: its HELLO answer carries a PROOF (useless without the key).
      expect(result.helloProof).toBe(true);
      expect(result.bytesAfterHello).toBe(0);
      expect(result.closed).toBe(true);
      expect(existsSync(MARKER) ? readFileSync(MARKER, "utf8") : "").toBe("");
      // The worker logs nothing per attempt above debug, and real checks still pass.
      expect(await server.statusAs("/valid/", "alice", "wonderland")).toBe(200);
    });
  }

  test("no timing difference: the close comes as fast for a user whose check takes 1.5 s as for any other", async () => {
    // The positive control: through Apache the handler does take that long for slowpoke.
    const started = performance.now();
    expect(await server.statusAs("/valid/", "slowpoke", "x")).toBe(401);
    expect(performance.now() - started).toBeGreaterThanOrEqual(SLOW_CHECK_MS);
    for (const credentials of [["127.0.0.1", "slowpoke", "x"], ["127.0.0.1", "alice", "wonderland"], ["127.0.0.1", "nobody", "x"]]) {
      const result = attack(socket, "random", credentials);
      expect(result.bytesAfterHello).toBe(0);
      expect(result.closed).toBe(true);
      // Closed before any handler could run: far under the slow check, whoever the CHECK names.
      expect(result.msToClose).not.toBeNull();
      expect(result.msToClose!).toBeLessThan(SLOW_CHECK_MS / 2);
    }
  });

  test("the attempts left no answer-level log line, only debug ones and at most one warning", () => {
    const log = server.errorLog();
    expect((log.match(/failed the handshake/g) ?? []).length).toBeLessThanOrEqual(1);
    expect(log).not.toMatch(/user="mallory"/);
  });
});
