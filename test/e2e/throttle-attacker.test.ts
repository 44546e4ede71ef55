// The throttle's counters can only be moved by httpd's children: a www-data process (hostile code running
// as httpd's User) that talks to the worker's socket itself, and sends CHECK_PASSWORDs claiming another
// client's address (CLIENT_IP, protocol 4), gets no byte after HELLO's answer and changes nothing. It can
// neither frame an address (add failures so that its owner is locked out) nor reset one (a forged success
// that would clear a locked pair). The attacker is test/fixtures/module/handshake-attacker.mjs, run as
// www-data without the generation key; the clients are curl on their own loopback addresses, through Apache.
import { execFile, spawnSync } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, test } from "vitest";
import { printErrorLogOnFailure, REPO_ROOT, startApache, type ApacheServer } from "../harness/apache.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { PROTOCOL_VERSION, Status } from "../../src/protocol/constants.js";
import { addonPath } from "../../src/native/addon.js";
import { eventually } from "../support/eventually.js";
import { basicLocation } from "../support/httpd-conf.js";
import { describeRequiring } from "../support/optional.js";
import { WORKER_LISTENING } from "../support/error-log.js";

const run = promisify(execFile);
const IS_ROOT = process.getuid?.() === 0;
const ATTACKER = join(REPO_ROOT, "test/fixtures/module/handshake-attacker.mjs");
const HANDLER = join(REPO_ROOT, "test/fixtures/module/handler.mjs");
const SPEC = `type=script\npath=${HANDLER}\nreload=off\n`;
const PAIR_LIMIT = 3;

interface AttackResult {
  readonly helloStatus: number | null;
  readonly bytesAfterHello: number;
  readonly closed: boolean;
}

function idOf(flag: "-u" | "-g", user: string): number {
  return Number(spawnSync("id", [flag, user], { encoding: "utf8" }).stdout.trim());
}

/** A forged CHECK_PASSWORD for `user`/`password` claiming `clientIp`, sent as www-data after a random AUTH. */
function forge(socket: string, clientIp: string, user: string, password: string): AttackResult {
  const result = spawnSync(
    "setpriv",
    [`--reuid=${idOf("-u", "www-data")}`, `--regid=${idOf("-g", "www-data")}`, "--clear-groups", process.execPath, ATTACKER,
      socket, String(PROTOCOL_VERSION), SPEC, "random", addonPath, clientIp, user, password],
    { encoding: "utf8", timeout: 30_000 },
  );
  const line = result.stdout.trim().split("\n").pop() ?? "";
  if (!line) throw new Error(`attacker printed nothing (status ${String(result.status)}): ${result.stderr}`);
  return JSON.parse(line) as AttackResult;
}

/** The status of one request with curl from `address`. */
async function statusFrom(httpd: ApacheServer, address: string, user: string, password: string): Promise<number> {
  const { stdout } = await run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--interface", address, "-u", `${user}:${password}`, httpd.url("/secret/")]);
  return Number(stdout);
}

let server: ApacheServer | undefined;
printErrorLogOnFailure(() => server);

describeRequiring(IS_ROOT, "root, to play a www-data peer")("a www-data peer forging CLIENT_IP", () => {
  let httpd: ApacheServer;
  let socket = "";

  beforeAll(async () => {
    httpd = await startApache({
      files: { "secret/index.html": "secret\n" },
      logLevel: "info authnz_node:debug",
      conf: [
        moduleServerDirectives(REPO_ROOT),
        `NodeAuthThrottlePairLimit ${PAIR_LIMIT}`,
        // Long enough that a lock set here outlasts the test: only a reset could lift it.
        "NodeAuthThrottleBackoff 600 600",
        basicLocation("/secret/", "attacker", ["AuthBasicProvider node", `NodeAuthUserScript "${HANDLER}"`, "Require valid-user"]),
      ].join("\n"),
    });
    server = httpd;
    if (!(await eventually(() => WORKER_LISTENING.test(httpd.errorLog())))) throw new Error("the worker never listened");
    socket = WORKER_LISTENING.exec(httpd.errorLog())?.[1] ?? "";
    if (!(await eventually(async () => (await statusFrom(httpd, "127.0.0.1", "alice", "wonderland")) === 200))) throw new Error("no 200");
  });
  afterAll(async () => {
    await httpd?.stop();
  });

  test("cannot frame an address: forged failures are not counted, its owner still logs in", async () => {
    for (let i = 0; i < PAIR_LIMIT - 1; i++) expect(await statusFrom(httpd, "127.0.0.9", "alice", `wrong-${i}`)).toBe(401);
    for (let i = 0; i < PAIR_LIMIT; i++) {
      const result = forge(socket, "127.0.0.9", "alice", `forged-${i}`);
      expect(result.helloStatus).toBe(Status.GRANTED);
      expect(result.bytesAfterHello).toBe(0);
      expect(result.closed).toBe(true);
    }
    // PAIR_LIMIT - 1 real failures: one forged one counted would have locked the pair (429).
    expect(await statusFrom(httpd, "127.0.0.9", "alice", "wonderland")).toBe(200);
  });

  test("cannot reset a locked pair: a forged success does not lift the lock", async () => {
    for (let i = 0; i < PAIR_LIMIT; i++) expect(await statusFrom(httpd, "127.0.0.10", "alice", `wrong-${i}`)).toBe(401);
    expect(await statusFrom(httpd, "127.0.0.10", "alice", "wonderland")).toBe(429);
    const result = forge(socket, "127.0.0.10", "alice", "wonderland");
    expect(result.bytesAfterHello).toBe(0);
    expect(result.closed).toBe(true);
    expect(await statusFrom(httpd, "127.0.0.10", "alice", "wonderland")).toBe(429);
  });
});
