// AuthType DjangoSession, the module's side, against a real Apache with a fake worker (the current
// protocol version) that answers CHECK_SESSION by the SESSION_KEY it receives and logs every frame's
// kind, field tags and session key, and whether the frame's bytes hold anything of the Cookie header
// beyond the session's own value. What is tested: the frame carries only the session key (never the
// Cookie header, nor another cookie, nor ENV), GRANTED sets REMOTE_USER and AUTH_TYPE, DENIED redirects a
// GET to NodeAuthSessionLoginURL with Django's next= (checked against live Django's redirect_to_login),
// or answers 401/403, ERROR and broken answers are 500, the origin gate refuses a POST before any trip,
// Basic fallback, Require node-staff folded as WANT_USER_FLAGS, and a cookie too long for a session.
import { describe, test, expect, beforeAll, afterAll } from "vitest";
import { join } from "node:path";
import { startApache, configTest, printErrorLogOnFailure, basicAuthorization, type ApacheServer } from "../harness/apache.js";
import { eventually } from "../support/eventually.js";
import { djangoLoginLocations } from "../support/django-login-redirect.js";
import { fakeWorkerSource } from "../support/fake-worker.js";

/**
 * Answers CHECK_SESSION (0x09) by SESSION_KEY: alice-key GRANTED as alice (with USER_FLAGS 0 when asked),
 * staff-key GRANTED as bob (USER_FLAGS 1 when asked), error-key ERROR, nouser-key GRANTED without USER,
 * noflags-key GRANTED as carol without USER_FLAGS, anything else DENIED. CHECK_PASSWORD (0x02): user
 * basic-user GRANTED (USER_FLAGS 3 when asked), anyone else DENIED. Each frame is logged as
 * "fake worker: kind <k> tags <t,...> key <hex> cookie-bytes <yes|no>".
 */
const FAKE_WORKER = fakeWorkerSource(String.raw`
function answer(socket, kind, id, fields, defined, bytes) {
  const want = fields.some(([tag]) => tag === WANT_USER_FLAGS);
  const session = valueOf(fields, SESSION_KEY);
  const text = bytes.toString("latin1");
  const cookieBytes = /csrftoken|other-cookie|Cookie/i.test(text) ? "yes" : "no";
  console.error("fake worker: kind " + kind + " tags " + fields.map(([t]) => t).join(",") + " key " + (session?.toString("hex") ?? "-") + " cookie-bytes " + cookieBytes);
  const grant = (user, flags) => [[STATUS, Buffer.from([1])], ...(user ? [[USER, Buffer.from(user)]] : []), ...(want && flags !== undefined ? [[USER_FLAGS, Buffer.from([flags])]] : [])];
  const reply = (answerFields) => socket.write(frame(kind | 0x80, id, answerFields));
  if (kind === 0x02) {
    const user = valueOf(fields, USER)?.toString() ?? "";
    return void reply(user === "basic-user" ? grant(undefined, 3) : [[STATUS, Buffer.from([2])]]);
  }
  switch (session?.toString("latin1")) {
    case "alice-key": return void reply(grant("alice", 0));
    case "staff-key": return void reply(grant("bob", 1));
    case "nouser-key": return void reply(grant(undefined, 0));
    case "noflags-key": return void reply(grant("carol", undefined));
    case "error-key": return void reply([[STATUS, Buffer.from([4])], [REASON, Buffer.from("as asked")]]);
    default: return void reply([[STATUS, Buffer.from([2])], [REASON, Buffer.from("no such session")]]);
  }
}
`);

const LOGIN = "/accounts/login/?a=1";

let server: ApacheServer | undefined;
printErrorLogOnFailure(() => server);

describe("AuthType DjangoSession against a fake worker", () => {
  let httpd: ApacheServer;
  const get = (path: string, cookie?: string, more: Array<[string, string]> = [], method = "GET") =>
    httpd.request(path, { method, headers: [...(cookie === undefined ? [] : [["Cookie", cookie] as [string, string]]), ...more] });
  const frames = () => httpd.errorLog().split("\n").filter((line) => line.includes("fake worker: kind"));

  beforeAll(async () => {
    const section = (path: string, lines: string[]) => (layout: { root: string }) => [
      `<Location "${path}">`,
      "    AuthType DjangoSession",
      '    AuthName "sessions"',
      `    NodeAuthDjangoDatabase sqlite://${join(layout.root, "unused.sqlite3")}`,
      '    Header always set X-User "expr=%{REMOTE_USER}"',
      '    Header always set X-Auth-Type "expr=%{AUTH_TYPE}"',
      ...lines.map((line) => `    ${line}`),
      "</Location>",
    ].join("\n");
    httpd = await startApache({
      mpm: "prefork",
      modules: ["headers"],
      files: { "s/index.html": "s\n", "login/index.html": "l\n", "deny/index.html": "d\n", "staff/index.html": "t\n",
        "basic/index.html": "b\n", "../fake-worker.mjs": FAKE_WORKER },
      logLevel: "info authnz_node:debug",
      conf: (layout) => [
        "StartServers 1", "MinSpareServers 1", "MaxSpareServers 1", "MaxRequestWorkers 1",
        `NodeAuthNodeBinary "${process.execPath}"`,
        `NodeAuthWorker "${join(layout.root, "fake-worker.mjs")}"`,
        section("/s/", ["Require valid-user", "NodeAuthSessionTrustedOrigins https://app.example.com"])(layout),
        section("/login/", ["Require valid-user", `NodeAuthSessionLoginURL "${LOGIN}"`])(layout),
        section("/deny/", ["Require valid-user", "NodeAuthSessionDenyStatus 403"])(layout),
        section("/staff/", ["Require node-staff"])(layout),
        section("/basic/", ["Require valid-user", "NodeAuthSessionBasicFallback on"])(layout),
      ].join("\n"),
    });
    server = httpd;
    if (!(await eventually(async () => (await get("/s/", "sessionid=alice-key")).status === 200))) {
      throw new Error("the fake worker never answered");
    }
  });
  afterAll(async () => {
    await httpd?.stop();
  });

  test("GRANTED: REMOTE_USER and AUTH_TYPE; the frame carries the session key alone, not the Cookie header", async () => {
    const before = frames().length;
    const res = await get("/s/", "csrftoken=abc; sessionid=nobody; other-cookie=1; sessionid=alice-key");
    expect(res.status).toBe(200);
    expect(res.headers["x-user"]).toBe("alice");
    expect(res.headers["x-auth-type"]).toBe("DjangoSession");
    const sent = frames().slice(before);
    expect(sent).toHaveLength(1);
    // HANDLER_ID (2), SESSION_KEY (27), TIMEOUT_MS (10), and a DEFINE_HANDLER (15) when new: no USER, no ENV.
    expect(sent[0]).toMatch(/kind 9 tags (15,)?2,27,10 key 616c6963652d6b6579 cookie-bytes no$/);
  });

  test("no cookie, an empty one or an unknown session: 401, 403 with NodeAuthSessionDenyStatus, no trip without a key", async () => {
    const before = frames().length;
    expect((await get("/s/")).status).toBe(401);
    expect((await get("/s/", "sessionid=")).status).toBe(401);
    expect((await get("/deny/", "other=1")).status).toBe(403);
    expect(frames().length).toBe(before);
    expect((await get("/s/", "sessionid=unknown")).status).toBe(401);
    expect(frames().length).toBe(before + 1);
  });

  test("DENIED on GET or HEAD: 302 to the login URL with next= as Django's redirect_to_login writes it", async () => {
    const paths = ["/login/", "/login/a%20b?x=1&y=%2F", "/login/k%C3%A4se/+plus~?q=a+b&r=%25", "/login//double?next=/evil",
      "/login/p%3Fq%26r"];
    const expected = djangoLoginLocations(paths.map((path) => ({ path, loginUrl: LOGIN })));
    for (const [i, path] of paths.entries()) {
      const res = await get(path, "sessionid=unknown");
      expect(res.status).toBe(302);
      expect(res.headers["location"]).toBe(expected[i]);
    }
    expect((await get("/login/", "sessionid=unknown", [], "HEAD")).status).toBe(302);
    // Other safe methods get the status, not the redirect (a PUT would meet the origin gate first: 403).
    expect((await get("/login/", "sessionid=unknown", [], "OPTIONS")).status).toBe(401);
    expect((await get("/login/", "sessionid=unknown", [], "PUT")).status).toBe(403);
  });

  test("ERROR, a GRANTED without USER and a failed check are 500", async () => {
    expect((await get("/s/", "sessionid=error-key")).status).toBe(500);
    expect(httpd.errorLog()).toMatch(/ANP0538: the worker could not check a session at \/s\/: as asked/);
    expect((await get("/s/", "sessionid=nouser-key")).status).toBe(500);
  });

  test("the origin gate: a POST needs a trusted Origin (or Referer), checked before any trip", async () => {
    const before = frames().length;
    expect((await get("/s/", "sessionid=alice-key", [], "POST")).status).toBe(403);
    expect((await get("/s/", "sessionid=alice-key", [["Origin", "https://evil.example.com"]], "POST")).status).toBe(403);
    expect((await get("/s/", "sessionid=alice-key", [["Referer", "https://app.example.com.evil.org/x"]], "POST")).status).toBe(403);
    expect(frames().length).toBe(before);
    expect(httpd.errorLog()).toMatch(/ANP0534: POST with a session at \/s\/ refused/);
    expect((await get("/s/", "sessionid=alice-key", [["Origin", "https://APP.example.com:443"]], "POST")).status).not.toBe(403);
    expect((await get("/s/", "sessionid=alice-key", [["Referer", "https://app.example.com/form"]], "DELETE")).status).not.toBe(403);
    expect((await get("/s/", "sessionid=alice-key", [], "OPTIONS")).status).not.toBe(403);
  });

  test("Require node-staff: USER_FLAGS asked in the same trip; a grant without them is 500", async () => {
    const before = frames().length;
    expect((await get("/staff/", "sessionid=staff-key")).status).toBe(200);
    expect(frames()[before]).toMatch(/tags (15,)?2,27,29,10 /);
    // httpd answers a Require refused to an authenticated user with 401 (AuthzSendForbiddenOnFailure: 403).
    expect((await get("/staff/", "sessionid=alice-key")).status).toBe(401);
    expect(httpd.errorLog()).toMatch(/ANP0530: Require node-staff: user 'alice' is not/);
    expect((await get("/staff/", "sessionid=noflags-key")).status).toBe(500);
  });

  test("NodeAuthSessionBasicFallback: Authorization: Basic goes down the Basic path", async () => {
    const basic = (user: string) => get("/basic/", undefined, [["Authorization", basicAuthorization(user, "pw")]]);
    const res = await basic("basic-user");
    expect(res.status).toBe(200);
    expect(res.headers["x-auth-type"]).toBe("Basic");
    const refused = await basic("someone");
    expect(refused.status).toBe(401);
    expect(refused.headers["www-authenticate"]).toBe('Basic realm="sessions"');
    // Without the fallback, Basic credentials are not looked at: the session decides.
    expect((await get("/s/", undefined, [["Authorization", basicAuthorization("basic-user", "pw")]])).status).toBe(401);
  });

  test("a cookie longer than a session key can be is no session, and never reaches the worker", async () => {
    let before = frames().length;
    expect((await get("/s/", `sessionid=${"k".repeat(4097)}`)).status).toBe(401);
    // The bound is on the unquoted value: 4097 bytes inside quotes, and 2100 escapes that unquote to 2100.
    expect((await get("/s/", `sessionid="${"k".repeat(4097)}"`)).status).toBe(401);
    expect(frames().length).toBe(before);
    expect((await get("/s/", `sessionid="${"\\k".repeat(2100)}"`)).status).toBe(401);
    expect(frames()[before]).toContain(` key ${"6b".repeat(2100)} `);
    before += 1;
    expect(frames().length).toBe(before);
    expect(httpd.errorLog()).toMatch(/ANP0533: the sessionid cookie is longer than 4096 bytes: no session/);
  });
});

describe("the NodeAuthSession* directives at configtest", () => {
  const refused: Array<[string, RegExp]> = [
    ["NodeAuthSessionLoginURL accounts/login", /NodeAuthSessionLoginURL: 'accounts\/login' must be a path/],
    ["NodeAuthSessionLoginURL //evil.example.com/login", /must be a path \(\/accounts\/login\/\) or an absolute http/],
    ["NodeAuthSessionLoginURL ftp://example.com/login", /must be a path/],
    ['NodeAuthSessionLoginURL "/log in/"', /must be a path/],
    ["NodeAuthSessionDenyStatus 404", /NodeAuthSessionDenyStatus: '404' must be 401 or 403/],
    ["NodeAuthSessionTrustedOrigins https://example.com/path", /NodeAuthSessionTrustedOrigins: 'https:\/\/example.com\/path' must be an origin/],
    ["NodeAuthSessionTrustedOrigins example.com", /must be an origin/],
    ["NodeAuthSessionTrustedOrigins https://example.com:99999", /must be an origin/],
    ["Require node-staff yes", /Require node-staff takes no arguments/],
  ];
  test.each(refused)("%s is refused", async (line, message) => {
    const result = await configTest({ conf: `<Location "/x/">\n    AuthType DjangoSession\n    ${line}\n</Location>` });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(message);
  });
  test("good values pass", async () => {
    const result = await configTest({ conf: ['<Location "/x/">', "    AuthType DjangoSession",
      "    NodeAuthSessionLoginURL https://SSO.example.com/login/?service=x", "    NodeAuthSessionDenyStatus 403",
      "    NodeAuthSessionTrustedOrigins https://a.example.com http://[::1]:8080", "    NodeAuthSessionBasicFallback on",
      "    NodeAuthSessionCache on", "    Require node-superuser", "</Location>"].join("\n") });
    expect(result.output).not.toMatch(/NodeAuthSession|node-superuser/);
    expect(result.ok).toBe(true);
  });
});
