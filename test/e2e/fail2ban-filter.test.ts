// fail2ban against the error log a real Apache writes for this module, read by Debian's own
// fail2ban-regex (not a copy of its regexes): Debian's stock apache-auth filter counts each wrong password
// and each unknown user that AuthBasicProvider node refused (httpd's AH01617 and AH01618 lines, whose
// [client ...] is the address to ban), and never a granted login; httpd-conf/fail2ban/authnz-node-lockout.conf
// counts each request the throttle refused unchecked (ANP0522), under the locked-out client's address.
// LogLevel warn, as Debian's apache2.conf sets it. A SQLite database made by real Django.
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { nodeModuleBuilt, printErrorLogOnFailure, REPO_ROOT, startApache, type ApacheServer } from "../harness/apache.js";
import { seedDjango } from "../fixtures/use-cases/django.js";
import { requestFrom } from "../support/client-address.js";
import { eventually } from "../support/eventually.js";
import { WORKER_LISTENING } from "../support/error-log.js";
import { basicLocation } from "../support/httpd-conf.js";
import { describeRequiring } from "../support/optional.js";

const FAIL2BAN_REGEX = "/usr/bin/fail2ban-regex";
const FILTER_DIR = "/etc/fail2ban/filter.d";
const STOCK_FILTER = `${FILTER_DIR}/apache-auth.conf`;
const LOCKOUT_FILTER = join(REPO_ROOT, "httpd-conf/fail2ban/authnz-node-lockout.conf");
const alice = { user: "alice", password: "pw-Alice-1" };
const wrong = { user: "alice", password: "not-her-password" };

interface Verdict {
  readonly total: number;
  readonly matched: string[];
}

/** fail2ban-regex's count of failregex matches, and the matched lines (--print-all-matched). */
function fail2banRegex(logFile: string, filter: string): Verdict {
  const out = execFileSync(FAIL2BAN_REGEX, ["--print-all-matched", logFile, filter], { encoding: "utf8", timeout: 120_000 });
  const total = /^Failregex: (\d+) total/m.exec(out);
  if (!total) throw new Error(`fail2ban-regex said no Failregex total:\n${out}`);
  return { total: Number(total[1]), matched: out.split("\n").filter((line) => /^\|\s+\[/.test(line)) };
}

describeRequiring(nodeModuleBuilt() && existsSync(FAIL2BAN_REGEX) && existsSync(STOCK_FILTER), "the module built and Debian's fail2ban (scripts/bootstrap.sh test installs it)")(
  "fail2ban filters on a real error log",
  () => {
    let server: ApacheServer | undefined;
    let dir = "";
    let logFile = "";
    printErrorLogOnFailure(() => server);

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "anp-fail2ban-"));
      chmodSync(dir, 0o755);
      const databaseUrl = `sqlite://${join(dir, "db.sqlite3")}`;
      await seedDjango(databaseUrl, { users: [{ username: "alice", password: alice.password }], checks: [] });
      server = await startApache({
        logLevel: "warn",
        files: { "secret/index.html": "secret\n" },
        conf: [
          moduleServerDirectives(REPO_ROOT, {}),
          // 127.0.0.1 is exempt (the harness's default); 127.0.0.2 is throttled after 3 failures.
          "NodeAuthThrottlePairLimit 3",
          basicLocation("/secret/", "secret", ["AuthBasicProvider node", `NodeAuthDjangoDatabase "${databaseUrl}"`, "Require valid-user"]),
        ].join("\n"),
      });
      const url = server.url("/secret/");
      const statuses: number[] = [];
      for (const [address, credentials] of [
        ["127.0.0.2", alice], ["127.0.0.2", wrong], ["127.0.0.2", wrong], ["127.0.0.2", wrong], ["127.0.0.2", wrong], ["127.0.0.2", wrong],
        ["127.0.0.1", { user: "mallory", password: "guess" }], ["127.0.0.1", { user: "trudy", password: "guess" }], ["127.0.0.1", alice],
      ] as const) {
        statuses.push((await requestFrom(url, address, credentials)).status);
      }
      expect(statuses).toEqual([200, 401, 401, 401, 429, 429, 401, 401, 200]);
      const log = (): string => server?.errorLog() ?? "";
      expect(await eventually(() => (log().match(/AH0161[78]/g) ?? []).length === 5 && (log().match(/ANP0522/g) ?? []).length === 2)).toBe(true);
      logFile = join(dir, "error.log");
      writeFileSync(logFile, log());
    }, 120_000);

    afterAll(async () => {
      await server?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test("Debian's apache-auth filter counts the 3 wrong passwords and the 2 unknown users, by client address", () => {
      const verdict = fail2banRegex(logFile, STOCK_FILTER);
      expect(verdict.total).toBe(5);
      expect(verdict.matched.filter((line) => /\[client 127\.0\.0\.2:\d+\] AH01617: user alice: authentication failure/.test(line))).toHaveLength(3);
      expect(verdict.matched.filter((line) => /\[client 127\.0\.0\.1:\d+\] AH01618: user (mallory|trudy) not found/.test(line))).toHaveLength(2);
    });

    test("fail2ban reads the time of every line, the worker's own included, and matches none of the worker's", () => {
      const lines = readFileSync(logFile, "utf8").split("\n").filter((line) => line !== "");
      expect(lines.some((line) => WORKER_LISTENING.test(line))).toBe(true);
      const out = execFileSync(FAIL2BAN_REGEX, ["--print-all-matched", logFile, STOCK_FILTER], { encoding: "utf8", timeout: 120_000 });
      // One date template, at the start of the line, read every line's time: httpd's and the worker's.
      expect(out).toMatch(new RegExp(`^\\|\\s+\\[${lines.length}\\] \\{\\^LN-BEG\\}`, "m"));
      expect(out).toMatch(new RegExp(`^Lines: ${lines.length} lines, 0 ignored, 5 matched`, "m"));
    });

    test("authnz-node-lockout.conf counts the 2 requests refused while locked out, and nothing else", () => {
      // Installed as the docs say: next to Debian's apache-common.conf and common.conf, which it includes.
      const filterDir = join(dir, "filter.d");
      mkdirSync(filterDir);
      for (const name of ["apache-common.conf", "common.conf"]) symlinkSync(join(FILTER_DIR, name), join(filterDir, name));
      copyFileSync(LOCKOUT_FILTER, join(filterDir, "authnz-node-lockout.conf"));
      const verdict = fail2banRegex(logFile, join(filterDir, "authnz-node-lockout.conf"));
      expect(verdict.total).toBe(2);
      expect(verdict.matched.filter((line) => /\[client 127\.0\.0\.2:\d+\] ANP0522: client 127\.0\.0\.2 locked out: user 'alice'/.test(line)), verdict.matched.join("\n")).toHaveLength(2);
    });
  },
);
