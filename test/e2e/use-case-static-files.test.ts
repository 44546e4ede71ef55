// Use case 1: a Django project's static files public, its media files for its users, one media
// folder for one Django group; checked with curl and with `wget --user/--password` (a script
// without a browser) for every kind of caller, under mpm_event and mpm_prefork. The configuration
// is httpd-conf/examples/static-files/httpd.conf.in as shipped; the users are made by real Django,
// and the expected status of each request follows from what Django itself says about the user.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configTest } from "../harness/apache.js";
import { curlStatus, wgetFetch, type Credentials } from "../fixtures/use-cases/clients.js";
import { formatTable } from "../fixtures/use-cases/report.js";
import { seedDjango, type CheckSpec, type DjangoVerdict } from "../fixtures/use-cases/django.js";
import {
  makeServerRoot,
  printErrorLogOnFailure,
  tearDownExample,
  startExample,
  type ExampleServer,
  EXAMPLES_DIR,
} from "../fixtures/use-cases/example-server.js";

const GROUP = "report-readers";

interface Caller {
  readonly label: string;
  readonly credentials?: Credentials;
}

const CALLERS: readonly Caller[] = [
  { label: "no credentials" },
  { label: "reader (in group)", credentials: { user: "alice", password: "wonderland-7" } },
  { label: "user (not in group)", credentials: { user: "bob", password: "builder-42" } },
  { label: "inactive user", credentials: { user: "carol", password: "inactive-3" } },
  { label: "wrong password", credentials: { user: "alice", password: "wonderland-8" } },
  { label: "unknown user", credentials: { user: "mallory", password: "wonderland-7" } },
  { label: "non-ASCII password", credentials: { user: "dörte", password: "pässwört-ß" } },
];

const FILES = {
  "static/site.css": Buffer.from("body { color: #333 }\n"),
  "media/upload.bin": randomBytes(200_000),
  "media/reports/q3.txt": Buffer.from("Q3 numbers\n".repeat(50)),
};
const PATHS = { static: "/static/site.css", media: "/media/upload.bin", reports: "/media/reports/q3.txt" } as const;
type Area = keyof typeof PATHS;

const checks: CheckSpec[] = CALLERS.filter((c) => c.credentials).map((c) => ({ username: c.credentials!.user, password: c.credentials!.password }));

/** What Apache must answer, from Django's own verdict on the caller. */
function expectedStatus(area: Area, verdict: DjangoVerdict | undefined): number {
  if (area === "static") return 200;
  if (!verdict || verdict.check_password !== true) return 401;
  if (area === "reports" && !verdict.groups.includes(GROUP)) return 401;
  return 200;
}

let verdicts: DjangoVerdict[] = [];
let database = "";
let dataDir = "";

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "anp-static-django-"));
  database = path.join(dataDir, "db.sqlite3");
  verdicts = await seedDjango(`sqlite://${database}`, {
    groups: [{ name: GROUP }],
    users: [
      { username: "alice", password: "wonderland-7", groups: [GROUP] },
      { username: "bob", password: "builder-42" },
      { username: "carol", password: "inactive-3", is_active: false, groups: [GROUP] },
      { username: "dörte", password: "pässwört-ß", groups: [GROUP] },
    ],
    checks,
  });
});

afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function verdictOf(caller: Caller): DjangoVerdict | undefined {
  if (!caller.credentials) return undefined;
  const index = checks.findIndex((c) => c.username === caller.credentials!.user && c.password === caller.credentials!.password);
  return verdicts[index];
}

describe.each(["event", "prefork"] as const)("use case: protected static and media files (mpm_%s)", (mpm) => {
  let server: ExampleServer | undefined;
  let root: string | undefined;
  let downloads = "";

  beforeAll(async () => {
    root = makeServerRoot(`static-${mpm}`);
    for (const dir of ["htdocs", "run"]) await mkdir(path.join(root, dir), { recursive: true });
    await writeFile(path.join(root, "htdocs/index.html"), "<p>open</p>\n");
    for (const [relative, content] of Object.entries(FILES)) {
      await mkdir(path.dirname(path.join(root, "site", relative)), { recursive: true });
      await writeFile(path.join(root, "site", relative), content);
    }
    downloads = await mkdtemp(path.join(tmpdir(), "anp-static-wget-"));
    server = await startExample({ example: "static-files", root, values: { MPM: mpm, DATABASE: `sqlite://${database}` } });
  });

  afterAll(async () => {
    await tearDownExample(server, root, downloads);
  });

  printErrorLogOnFailure(() => server);

  it("gives each caller the status Django's verdict implies, with curl and with wget", async () => {
    const s = server!;
    const table: Record<string, Record<string, string>> = {};
    const mismatches: string[] = [];
    for (const caller of CALLERS) {
      const row: Record<string, string> = {};
      for (const area of Object.keys(PATHS) as Area[]) {
        const url = s.url(PATHS[area]);
        const expected = expectedStatus(area, verdictOf(caller));
        const viaCurl = await curlStatus(url, { credentials: caller.credentials });
        const outFile = path.join(downloads, `${caller.label.replace(/\W+/g, "_")}-${area}`);
        const viaWget = await wgetFetch(url, outFile, caller.credentials);
        row[`${area} curl`] = String(viaCurl);
        row[`${area} wget`] = `${viaWget.status} (exit ${viaWget.code})`;
        if (viaCurl !== expected) mismatches.push(`curl ${caller.label} ${PATHS[area]}: ${viaCurl}, expected ${expected}`);
        if (viaWget.status !== expected) mismatches.push(`wget ${caller.label} ${PATHS[area]}: ${viaWget.status}, expected ${expected}`);
        // wget exits 0 only with the file, byte for byte, and 6 when authentication failed.
        if (expected === 200) {
          if (viaWget.code !== 0 || !viaWget.body?.equals(FILES[PATHS[area].slice(1) as keyof typeof FILES])) {
            mismatches.push(`wget ${caller.label} ${PATHS[area]}: exit ${viaWget.code} or a different body`);
          }
        } else if (viaWget.code !== 6) {
          mismatches.push(`wget ${caller.label} ${PATHS[area]}: exit ${viaWget.code}, expected 6 (authentication failed)`);
        }
      }
      table[caller.label] = row;
    }
    console.log(formatTable(`static/media status matrix (use-case-static-files, mpm_${mpm}):`, table));
    expect(mismatches).toEqual([]);
    // The matrix is not trivially uniform: each area has callers let in and callers kept out.
    expect(CALLERS.map((c) => expectedStatus("media", verdictOf(c)))).toEqual(expect.arrayContaining([200, 401]));
    expect(CALLERS.map((c) => expectedStatus("reports", verdictOf(c)))).toEqual(expect.arrayContaining([200, 401]));
  });

  it("never writes a password into the error log", () => {
    const log = server!.errorLog();
    for (const caller of CALLERS) {
      if (caller.credentials) expect(log).not.toContain(caller.credentials.password);
    }
  });
});

describe("the Debian site file static-files/django-media.conf", () => {
  it("passes apache2 -t with mod_authnz_node and the modules its header enables", async () => {
    const site = readFileSync(path.join(EXAMPLES_DIR, "static-files/django-media.conf"), "utf8");
    const result = await configTest({ conf: site, modules: [] });
    expect(result.ok, result.output).toBe(true);
    // The shipped example does not fall into the RequireAny trap it warns about.
    expect(result.output).not.toMatch(/ANP0108/);
  });
});
