// No password in any log, even when the password is a word of an error message: a real Apache and
// worker, checks that fail with the database refusing connections, with a database that accepts and never
// answers (the driver gives up after its 5000 ms connection timeout, well within NodeAuthTimeout 12s, which
// leaves room for the handler's second try), with a handler script that throws an Error holding its
// password, and with one that is still running when NodeAuthTimeout passes. The passwords
// are `timeout`, `5000`, the database's name, the user's name and distinctive texts the script puts into
// its messages. The whole error log (module and worker lines) is then searched: the REASON of each
// failure is exactly its fixed wording and code, no line carries the "[password]" mark that scrubbing
// would leave (the words around it would tell the password), and a password appears only where the line
// means something else (the user's name, the database URL), never in a message.
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { printErrorLogOnFailure, REPO_ROOT, startApache, type ApacheServer } from "../harness/apache.js";
import { eventually } from "../support/eventually.js";
import { freePort } from "../harness/ports.js";
import { basicLocation } from "../support/httpd-conf.js";
import { WORKER_LISTENING } from "../support/error-log.js";

const HANDLER = join(REPO_ROOT, "test/fixtures/no-password-in-logs/handler.mjs");

/** A location whose one handler line decides how its checks fail. */
function location(path: string, handler: string): string {
  return basicLocation(path, "no password in logs", ["AuthBasicProvider node", handler, "Require valid-user"]);
}

/** One check that must fail, with the reason its lines must carry. */
interface Case {
  readonly path: string;
  readonly user: string;
  readonly password: string;
  readonly reason: string;
}

let server: ApacheServer | undefined;
let hung: Server;
const held: Socket[] = [];
let downUrl: string;
let hungUrl: string;
printErrorLogOnFailure(() => server);

const CASES: Case[] = [
  { path: "/down/", user: "u-dbname", password: "django", reason: "database error (ERR_DATABASE ECONNREFUSED)" },
  { path: "/down/", user: "alice", password: "alice", reason: "database error (ERR_DATABASE ECONNREFUSED)" },
  { path: "/down/", user: "u-refused", password: "ECONNREFUSED-x", reason: "database error (ERR_DATABASE ECONNREFUSED)" },
  { path: "/hung/", user: "u-timeout", password: "timeout", reason: "database error (ERR_DATABASE_TIMEOUT)" },
  { path: "/hung/", user: "u-5000", password: "5000", reason: "database error (ERR_DATABASE_TIMEOUT)" },
  { path: "/script/", user: "thrower", password: "Zq-timeout-5000-thrown", reason: "checkPassword threw TypeError (ERR_ANP_SCRIPT_THREW)" },
  { path: "/script/", user: "slow", password: "Zq-slow-5000-late", reason: "deadline exceeded" },
];

beforeAll(async () => {
  // A "database" that accepts connections and never says a word: the driver gives up after 5000 ms.
  hung = createServer((socket) => {
    held.push(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => hung.listen(0, "127.0.0.1", resolve));
  const hungPort = (hung.address() as { port: number }).port;
  downUrl = `postgres://django@127.0.0.1:${await freePort()}/django`;
  hungUrl = `postgres://django@127.0.0.1:${hungPort}/django`;
  server = await startApache({
    conf: [
      moduleServerDirectives(REPO_ROOT, { logLevel: "debug" }),
      "NodeAuthTimeout 12s",
      location("/down/", `NodeAuthDjangoDatabase "${downUrl}"`),
      location("/hung/", `NodeAuthDjangoDatabase "${hungUrl}"`),
      location("/script/", `NodeAuthUserScript "${HANDLER}"`),
    ].join("\n"),
    files: { "down/index.html": "down\n", "hung/index.html": "hung\n", "script/index.html": "script\n" },
    logLevel: "info authnz_node:debug",
  });
  const ready = await eventually(async () => Promise.resolve(WORKER_LISTENING.test(server?.errorLog() ?? "")), 600);
  if (!ready) throw new Error("the worker never said it was listening");
}, 60_000);

afterAll(async () => {
  await server?.stop();
  for (const socket of held) socket.destroy();
  hung?.close();
});

describe("no password in any log", () => {
  test("each failing check is a 500 whose logged reasons are the fixed wording and code", async () => {
    const statuses = await Promise.all(CASES.map((c) => server!.statusAs(c.path, c.user, c.password)));
    expect(statuses).toEqual(CASES.map(() => 500));
    // The worker's line for each check comes through its relayed stderr, perhaps after the module's.
    const logged = await eventually(
      async () => Promise.resolve(CASES.every((c) => server!.errorLog().includes(`user="${c.user}"`))),
      600,
    );
    expect(logged).toBe(true);
    const log = server!.errorLog();
    for (const c of CASES) {
      // The module's line (ANP0506: the worker could not check the password of user '...': <REASON>).
      expect(log).toMatch(new RegExp(`ANP0\\d+: [^\\n]*user '${c.user}'[^\\n]*: ${escape(c.reason)}$`, "m"));
      expect(log).toMatch(new RegExp(`check_password user="${c.user}" handler=[^\\n]* -> ERROR: ${escape(c.reason)} \\(`));
    }
  }, 60_000);

  test("no line holds a password, or the mark scrubbing would leave where one was", () => {
    const lines = server!.errorLog().split("\n");
    expect(lines.filter((line) => line.includes("[password]"))).toEqual([]);
    for (const c of CASES) {
      // Where the password's text may stand for something else: the user's name, the database URL.
      // (The handler's type is `django` too: "handler=django:postgres://...", "django handler: ...".)
      const elsewhere = [`user '${c.user}'`, `user="${c.user}"`, `user ${c.user}`, downUrl, hungUrl, "django:", "django handler"];
      const holding = lines.filter((line) => elsewhere.reduce((rest, text) => rest.split(text).join(""), line).includes(c.password));
      // "timeout" and "5000" are also words of the driver's own messages, which the worker logs in full
      // (they never hold a user's password): those lines are checked by their exact reasons above, and here
      // only lines about this check's user may not hold them.
      const relevant = c.password === "timeout" || c.password === "5000" ? holding.filter((line) => line.includes(c.user)) : holding;
      expect(relevant, `lines holding the password ${JSON.stringify(c.password)}`).toEqual([]);
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
