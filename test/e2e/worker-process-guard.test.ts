// The worker's process, seen by hostile code running as httpd's User (www-data): with the worker running as
// that same user (the default), it can neither open /proc/<worker>/mem nor ptrace-attach the worker (the
// worker made itself non-dumpable at start), and nothing a handler prints can pass for a line of httpd's
// error log (the worker's fds 1 and 2 are relayed, each line prefixed, control characters escaped).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApache, printErrorLogOnFailure, REPO_ROOT, type ApacheServer } from "../harness/apache.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { eventually } from "../support/eventually.js";
import { HTTPD_LINE, HTTPD_TIME, workerLine } from "../support/error-log.js";

const dir = mkdtempSync(join(tmpdir(), "anp-process-guard-"));
const HANDLER = join(dir, "printing-handler.mjs");
/** What the handler prints: each piece tries to start a line httpd's error log would take as its own. */
const FORGED_NL = "\n[Thu Dec 04 00:00:00.000000 2026] [core:error] [pid 1] forged-by-newline";
const FORGED_CR = "\r[Thu Dec 04 00:00:00.000000 2026] [core:error] [pid 1] forged-by-return";

/**
 * Run as www-data: opens /proc/<pid>/mem (open only: a read at offset 0 fails anyway), then
 * PTRACE_ATTACH; if the attach works (it must not), waits for the stop and detaches so the worker goes on.
 */
const ATTACKER = `
import ctypes, errno, json, os, sys
pid = int(sys.argv[1])
out = {}
try:
    os.close(os.open("/proc/%d/mem" % pid, os.O_RDONLY))
    out["mem"] = "opened"
except OSError as e:
    out["mem"] = errno.errorcode[e.errno]
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
if libc.ptrace(16, pid, None, None) == -1:
    out["ptrace"] = errno.errorcode[ctypes.get_errno()]
else:
    out["ptrace"] = "attached"
    os.waitpid(pid, 0x40000000)
    libc.ptrace(17, pid, None, None)
print(json.dumps(out))
`;

const servers: Array<ApacheServer | undefined> = [];
printErrorLogOnFailure(() => servers);

function uidOf(pid: number): number {
  const match = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no Uid line for ${pid}`);
  return Number(match[1]);
}

describe("the worker's process as httpd's User sees it", () => {
  let server: ApacheServer;

  beforeAll(async () => {
    writeFileSync(
      HANDLER,
      [
        "export function checkPassword(environ, user, password) {",
        '  if (password === "print") {',
        `    console.log(${JSON.stringify(`stdout${FORGED_NL}`)});`,
        `    process.stderr.write(${JSON.stringify(`stderr${FORGED_CR}\n`)});`,
        "  }",
        '  return user === "alice" && password === "wonderland";',
        "}",
        "",
      ].join("\n"),
    );
    chmodSync(dir, 0o755);
    chmodSync(HANDLER, 0o644);
    server = await startApache({
      mpm: "prefork",
      conf: [
        moduleServerDirectives(REPO_ROOT, { logLevel: "debug" }),
        '<Location "/valid/">',
        "    AuthType Basic",
        '    AuthName "process guard"',
        "    AuthBasicProvider node",
        `    NodeAuthUserScript "${HANDLER}"`,
        "    Require valid-user",
        "</Location>",
      ].join("\n"),
      files: { "valid/index.html": "valid\n" },
    });
    servers.push(server);
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("www-data can neither open the worker's memory nor ptrace it, though the worker runs as www-data", async () => {
    expect(process.getuid?.()).toBe(0); // the attacker is played with runuser
    expect(await server.statusAs("/valid/", "alice", "wonderland")).toBe(200);
    const [worker] = server.workers();
    if (worker === undefined) throw new Error("no worker under httpd");
    const wwwData = Number(spawnSync("id", ["-u", "www-data"], { encoding: "utf8" }).stdout.trim());
    expect(uidOf(worker.pid)).toBe(wwwData);

    const run = spawnSync("runuser", ["-u", "www-data", "--", "python3", "-c", ATTACKER, String(worker.pid)], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({ mem: "EACCES", ptrace: "EPERM" });
    // Still serving: nothing above stopped it.
    expect(await server.statusAs("/valid/", "alice", "wonderland")).toBe(200);
  });

  test("handler output cannot forge an error-log line: every line of it is prefixed and escaped", async () => {
    expect(await server.statusAs("/valid/", "alice", "print")).toBe(401);
    const [worker] = server.workers();
    if (worker === undefined) throw new Error("no worker under httpd");
    const stdout = `[authnz_node:info] [pid ${worker.pid}] ANP0690: `;
    const stderr = `[authnz_node:warn] [pid ${worker.pid}] ANP0691: `;
    expect(await eventually(() => server.errorLog().includes("forged-by-return"))).toBe(true);
    // Each relayed line starts with the relay's own time stamp; what follows it is compared whole.
    const stamp = new RegExp(`^\\[${HTTPD_TIME}\\] `);
    const lines = server.errorLog().split("\n");
    const forged = lines.filter((line) => line.includes("forged-by"));
    expect(forged.every((line) => stamp.test(line))).toBe(true);
    // stdout and stderr are relayed by a thread each, so their lines may come in either order.
    expect(forged.map((line) => line.replace(stamp, "")).sort()).toEqual([
      `${stdout}[Thu Dec 04 00:00:00.000000 2026] [core:error] [pid 1] forged-by-newline`,
      `${stderr}stderr\\x0d[Thu Dec 04 00:00:00.000000 2026] [core:error] [pid 1] forged-by-return`,
    ].sort());
    expect(lines.filter((line) => stamp.test(line)).map((line) => line.replace(stamp, ""))).toContain(`${stdout}stdout`);
  });

  test("the worker's lines, its relayed output and httpd's own lines read with one regex of httpd's default shape", async () => {
    expect(await server.statusAs("/valid/", "alice", "print")).toBe(401);
    const [worker] = server.workers();
    if (worker === undefined) throw new Error("no worker under httpd");
    expect(await eventually(() => server.errorLog().includes("ANP0690: stdout"))).toBe(true);
    const parsed = server
      .errorLog()
      .split("\n")
      .map((line) => HTTPD_LINE.exec(line))
      .filter((match) => match !== null)
      .map(([, time, module, level, pid, rest]) => ({ time, module, level, pid: Number(pid), rest }));
    const ofWorker = parsed.filter((line) => line.pid === worker.pid);
    // The logger's line, and a line of the addon's relay: same module field as the module's own lines.
    expect(ofWorker).toContainEqual(expect.objectContaining({ module: "authnz_node", level: "info", rest: expect.stringMatching(/^ANP0601: listening on \//) }));
    expect(ofWorker).toContainEqual(expect.objectContaining({ module: "authnz_node", level: "info", rest: "ANP0690: stdout" }));
    // httpd's own line, by httpd's own code: the same regex reads it.
    expect(parsed).toContainEqual(expect.objectContaining({ module: "mpm_prefork", level: "notice", rest: expect.stringMatching(/^AH00163: /) }));
    // Every line of the worker's pid is in that shape: none goes unstamped.
    expect(server.errorLog().split("\n").filter((line) => line.includes(`[pid ${worker.pid}]`)).length).toBe(ofWorker.length);
  });

  test("a user name with a newline cannot forge a line through the worker's own log lines either", async () => {
    // No ":" in it: Basic credentials end the user name at the first one.
    const name = "eve\n[Thu Dec 04 2026] [core_error] [pid 1] forged-by-user";
    expect(await server.statusAs("/valid/", name, "x")).toBe(401);
    // The worker logs each check at debug level, the user's name in it.
    expect(await eventually(() => server.errorLog().includes("forged-by-user"))).toBe(true);
    const lines = server.errorLog().split("\n").filter((line) => line.includes("forged-by-user"));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).not.toMatch(/^\[Thu Dec 04/);
    expect(lines.some((line) => workerLine("debug", /.*eve\\(n|x0a)\[Thu Dec 04/).test(line))).toBe(true);
  });
});
