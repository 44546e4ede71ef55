// How the module reads an answer off the wire: one recv() into a buffer takes the usual answer whole, and
// the frame is cut from that buffer. The cases here are what a lean read must still get right, against a
// real Apache with a fake worker (the current protocol version) that answers by user name:
// an answer that arrives in pieces or is longer than the first read gives the worker's verdict; bytes
// after the answer (garbage, or a second frame) are a broken answer, so 500 and never the grant in front
// of them; and a pooled connection the worker closed or half-closed while it sat idle is noticed when the
// next check uses it, and that check is sent again on a new connection (200, not 500).
// The fake worker keeps each connection's handler ids as the real one does, so the module's record of
// what a connection knows is tested too: a definition goes once per connection, and again after ERROR.
// And it answers by whether ENV fields came, so the module's rule is tested: the environ goes only to
// script handlers (the password's, or a group handler's riding along), never to the Django handler.
// Protocol 4: it answers by the client fields the module sends (CLIENT_IP, USER_AGENT, HTTP_ACCEPT,
// PATH_INFO), and answers THROTTLED, well-formed or not, so the 429 hook and the reader's rules for it
// are tested: 429 with Retry-After only for a THROTTLED password check with RETRY_AFTER where node is
// the first AuthBasicProvider, 401 where it is not, 500 for any broken THROTTLED, one trip per request.
// Protocol 5: a THROTTLED answer that names its scope (THROTTLE_SCOPE) is remembered by the child
// (native/mod/throttle_memo.c): the fake worker logs every check of a "memo-" user with its address, so
// the test counts which checks reached it.
import { describe, test, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import { startApache, printErrorLogOnFailure, nodeModuleBuilt, NODE_MODULE_PATH, type ApacheServer } from "../harness/apache.js";
import { eventually } from "../support/eventually.js";
import { fakeWorkerSource } from "../support/fake-worker.js";

/**
 * The fake worker (test/support/fake-worker.ts: the handshake and framing), written into the ServerRoot.
 * It answers CHECK_PASSWORD according to the USER field:
 *   plain          GRANTED in one write
 *   split          GRANTED in two writes, the first only 3 bytes (not even the whole length prefix)
 *   long           GRANTED with ~9 KB of GROUP fields (longer than the module's first read)
 *   trailing       GRANTED followed by one byte, in one write
 *   twice          GRANTED twice (the same id), in one write
 *   long-trailing  the long GRANTED followed by one byte, in one write
 *   close-after    GRANTED, then the connection is closed
 *   end-after      GRANTED, then the worker's side is shut down (half-closed); it reads on but never answers
 *   nul-user       GRANTED, renaming the user to one with a NUL byte in it
 *   unasked        GRANTED, holding a permission the check did not ask about
 *   status-9       STATUS 9, which no version of the protocol has
 *   error          ERROR, and the frame's handler definitions are not applied (as the worker does when one
 *                  of them is refused)
 *   no-definition  GRANTED when the frame defines no handler id, else DENIED
 *   has-environ    GRANTED (with GROUP readers) when the frame carries ENV fields, else DENIED
 *   no-environ     GRANTED (with GROUP readers) when it carries none, else DENIED
 *   who            GRANTED when CLIENT_IP is 127.0.0.1, PATH_INFO /valid/, USER_AGENT anp-test/1 and
 *                  HTTP_ACCEPT text/plain, else DENIED
 *   no-headers     GRANTED when CLIENT_IP and PATH_INFO came but no USER_AGENT nor HTTP_ACCEPT, else DENIED
 *   long-agent     GRANTED when USER_AGENT is the first 1024 bytes of the 2000 the client sent, else DENIED
 *   once-*         GRANTED to the first check of that user name, DENIED to every later one
 *   rename-once    GRANTED under the name "renamed@example.org" to the first check, DENIED to later ones
 *   throttled      THROTTLED with RETRY_AFTER 7 and REASON "throttled: pair" (any kind; each logged as
 *                  "fake worker: check <user> kind <kind>")
 *   throttled-bare THROTTLED without RETRY_AFTER
 *   throttled-zero THROTTLED with RETRY_AFTER 0
 *   memo-address   THROTTLED with RETRY_AFTER 30 and THROTTLE_SCOPE 1 (the address)
 *   memo-user      THROTTLED with RETRY_AFTER 30 and THROTTLE_SCOPE 2 (this user from this address)
 *   memo-unscoped  THROTTLED with RETRY_AFTER 30 and no THROTTLE_SCOPE
 *                  (every check of a user named memo-* is logged as "fake worker: memo check <user> from <ip>")
 *   anyone else    DENIED
 * Like the real worker it answers ERROR to a request whose HANDLER_ID is not defined on the connection.
 */
const FAKE_WORKER = fakeWorkerSource(String.raw`
const granted = (kind, id) => frame(kind | 0x80, id, [[STATUS, Buffer.from([1])]]);
const longGranted = (kind, id) => frame(kind | 0x80, id, [
  [STATUS, Buffer.from([1])],
  ...Array.from({ length: 200 }, (_, i) => [GROUP, Buffer.from("group-" + String(i).padStart(3, "0") + "-".repeat(37))]),
]);

function answer(socket, kind, id, fields, defined) {
  const user = valueOf(fields, USER)?.toString("utf8") ?? "";
  const definitions = fields.filter(([tag]) => tag === DEFINE_HANDLER).map(([, value]) => value.readUInt32BE(0));
  if (user === "error") {
    return void socket.write(frame(kind | 0x80, id, [[STATUS, Buffer.from([4])], [REASON, Buffer.from("as asked")]]));
  }
  for (const handlerId of definitions) defined.add(handlerId);
  const handlerId = valueOf(fields, HANDLER_ID)?.readUInt32BE(0);
  if (!defined.has(handlerId)) {
    const reason = Buffer.from("handler id " + handlerId + " is not defined on this connection");
    return void socket.write(frame(kind | 0x80, id, [[STATUS, Buffer.from([4])], [REASON, reason]]));
  }
  const environ = fields.some(([tag]) => tag === ENV);
  const text = (tag) => valueOf(fields, tag)?.toString("latin1");
  const grantedIf = (ok) => frame(kind | 0x80, id, ok ? [[STATUS, Buffer.from([1])], [GROUP, Buffer.from("readers")]] : [[STATUS, Buffer.from([2])]]);
  if (user.startsWith("throttled")) console.error("fake worker: check " + user + " kind " + kind);
  if (user.startsWith("memo-")) console.error("fake worker: memo check " + user + " from " + text(CLIENT_IP));
  const memo = { "memo-address": [[THROTTLE_SCOPE, Buffer.from([1])]], "memo-user": [[THROTTLE_SCOPE, Buffer.from([2])]], "memo-unscoped": [] }[user];
  if (memo) {
    return void socket.write(frame(kind | 0x80, id, [[STATUS, Buffer.from([5])], [RETRY_AFTER, u32(30)], [REASON, Buffer.from("throttled: memo")], ...memo]));
  }
  if (user === "rename-once") {
    const first = !seenOnce.has(user);
    seenOnce.add(user);
    return void socket.write(frame(kind | 0x80, id, first ? [[STATUS, Buffer.from([1])], [USER, Buffer.from("renamed@example.org")]] : [[STATUS, Buffer.from([2])]]));
  }
  if (user.startsWith("once-")) {
    const first = !seenOnce.has(user);
    seenOnce.add(user);
    return void socket.write(grantedIf(first));
  }
  switch (user) {
    case "has-environ": return void socket.write(grantedIf(environ));
    case "no-environ": return void socket.write(grantedIf(!environ));
    case "no-definition": return void socket.write(frame(kind | 0x80, id, [[STATUS, Buffer.from([definitions.length === 0 ? 1 : 2])]]));
    case "plain": return void socket.write(granted(kind, id));
    case "split": {
      const bytes = granted(kind, id);
      socket.write(bytes.subarray(0, 3));
      return void setTimeout(() => socket.write(bytes.subarray(3)), 50);
    }
    case "long": return void socket.write(longGranted(kind, id));
    case "trailing": return void socket.write(Buffer.concat([granted(kind, id), Buffer.from([0])]));
    case "twice": return void socket.write(Buffer.concat([granted(kind, id), granted(kind, id)]));
    case "long-trailing": return void socket.write(Buffer.concat([longGranted(kind, id), Buffer.from("x")]));
    case "close-after": return void socket.end(granted(kind, id), () => (socket.destroy(), console.error("fake worker: left " + id)));
    case "nul-user": return void socket.write(frame(kind | 0x80, id, [[STATUS, Buffer.from([1])], [USER, Buffer.from("al\0ice")]]));
    case "unasked": return void socket.write(frame(kind | 0x80, id, [[STATUS, Buffer.from([1])], [PERMISSION, Buffer.from("auth.delete_user")]]));
    case "status-9": return void socket.write(frame(kind | 0x80, id, [[STATUS, Buffer.from([9])]]));
    case "end-after": return void socket.end(granted(kind, id), () => console.error("fake worker: left " + id));
    case "who": return void socket.write(grantedIf(text(CLIENT_IP) === "127.0.0.1" && text(PATH_INFO) === "/valid/"
      && text(USER_AGENT) === "anp-test/1" && text(HTTP_ACCEPT) === "text/plain"));
    case "no-headers": return void socket.write(grantedIf(text(CLIENT_IP) === "127.0.0.1" && text(PATH_INFO) === "/valid/"
      && text(USER_AGENT) === undefined && text(HTTP_ACCEPT) === undefined));
    case "long-agent": return void socket.write(grantedIf(text(USER_AGENT) === "a".repeat(1000) + "b".repeat(24)));
    case "throttled":
    case "throttled-groups":
      return void socket.write(frame(kind | 0x80, id, [[STATUS, Buffer.from([5])], [RETRY_AFTER, u32(7)], [REASON, Buffer.from("throttled: pair")]]));
    case "throttled-bare": return void socket.write(frame(kind | 0x80, id, [[STATUS, Buffer.from([5])]]));
    case "throttled-zero": return void socket.write(frame(kind | 0x80, id, [[STATUS, Buffer.from([5])], [RETRY_AFTER, u32(0)]]));
    default: return void socket.write(frame(kind | 0x80, id, [[STATUS, Buffer.from([2])]]));
  }
}

const seenOnce = new Set();
`);

const run = promisify(execFile);

/** htpasswd lines ({SHA}, which mod_authn_file reads) for the file-first and groups locations. */
const sha = (password: string): string => `{SHA}${createHash("sha1").update(password).digest("base64")}`;
const HTPASSWD = ["file-user", "throttled-groups"].map((user) => `${user}:${sha("file password")}\n`).join("");

const FILES = {
  "valid/index.html": "valid\n",
  "file-first/index.html": "file first\n",
  "groups/index.html": "groups\n",
  "../htpasswd": HTPASSWD,
  "django/index.html": "django\n",
  "mixed/index.html": "mixed\n",
  "../fake-worker.mjs": FAKE_WORKER,
};


let server: ApacheServer | undefined;
printErrorLogOnFailure(() => server);

test("mod_authnz_node.so is built (npm run build:native)", () => {
  expect(nodeModuleBuilt(), `${NODE_MODULE_PATH} is missing`).toBe(true);
});

describe("answers read off the wire, against a fake worker (one prefork child, so one pooled connection)", () => {
  let httpd: ApacheServer;
  const as = (user: string) => httpd.statusAs("/valid/", user, "any password");
  const failedWith = (user: string) => new RegExp(`ANP0502: checking the password of user '${user}' failed: (.*)`);

  beforeAll(async () => {
    httpd = await startApache({
      mpm: "prefork",
      files: FILES,
      modules: ["authn_file"],
      logLevel: "info authnz_node:debug",
      conf: (layout) =>
        [
          "StartServers 1",
          "MinSpareServers 1",
          "MaxSpareServers 1",
          "MaxRequestWorkers 1",
          `NodeAuthNodeBinary "${process.execPath}"`,
          `NodeAuthWorker "${join(layout.root, "fake-worker.mjs")}"`,
          '<Location "/valid/">',
          "    AuthType Basic",
          '    AuthName "answer bytes"',
          "    AuthBasicProvider node",
          // The fake worker ignores the handler spec; the module only needs one to send.
          `    NodeAuthUserScript "${join(layout.root, "fake-worker.mjs")}"`,
          "    Require valid-user",
          "</Location>",
          // The Django handler (the fake worker never opens the database) ...
          '<Location "/django/">',
          "    AuthType Basic",
          '    AuthName "answer bytes"',
          "    AuthBasicProvider node",
          `    NodeAuthDjangoDatabase sqlite://${join(layout.root, "unused.sqlite3")}`,
          "    Require valid-user",
          "</Location>",
          // ... and the Django handler for passwords with a script for groups, which rides along.
          '<Location "/mixed/">',
          "    AuthType Basic",
          '    AuthName "answer bytes"',
          "    AuthBasicProvider node",
          `    NodeAuthDjangoDatabase sqlite://${join(layout.root, "unused.sqlite3")}`,
          `    NodeAuthGroupScript "${join(layout.root, "fake-worker.mjs")}"`,
          "    Require node-group readers",
          "</Location>",
          // node after another provider: the 429 hook does not act, a THROTTLED check is a 401.
          '<Location "/file-first/">',
          "    AuthType Basic",
          '    AuthName "answer bytes"',
          "    AuthBasicProvider file node",
          `    AuthUserFile "${join(layout.root, "htpasswd")}"`,
          `    NodeAuthUserScript "${join(layout.root, "fake-worker.mjs")}"`,
          "    Require valid-user",
          "</Location>",
          // Passwords from the file, groups asked of the worker on their own (GROUPS_FOR_USER).
          '<Location "/groups/">',
          "    AuthType Basic",
          '    AuthName "answer bytes"',
          "    AuthBasicProvider file",
          `    AuthUserFile "${join(layout.root, "htpasswd")}"`,
          `    NodeAuthGroupScript "${join(layout.root, "fake-worker.mjs")}"`,
          "    Require node-group readers",
          "</Location>",
        ].join("\n"),
    });
    server = httpd;
    // Checks answer 500 until the fake worker listens; its start is not what is tested.
    if (!(await eventually(async () => (await as("plain")) === 200))) throw new Error("the fake worker never answered");
  });
  afterAll(async () => {
    await httpd?.stop();
  });

  test("a whole answer, one in pieces, and one longer than the first read give the worker's verdict", async () => {
    expect(await as("plain")).toBe(200);
    expect(await as("someone-else")).toBe(401);
    expect(await as("split")).toBe(200);
    expect(await as("long")).toBe(200);
    expect(await as("plain")).toBe(200);
  });

  test.each([
    ["trailing", /the worker sent 1 bytes after its answer/],
    ["twice", /the worker sent 15 bytes after its answer/],
    ["long-trailing", /the worker sent 1 bytes after its answer/],
  ])("bytes after a GRANTED answer (%s) fail the check with 500, and the next check gets a clean connection", async (user, reason) => {
    expect(await as(user)).toBe(500);
    expect(httpd.errorLog().match(failedWith(user))?.[1]).toMatch(reason);
    // The broken connection was closed, not pooled: nothing left over is read as the next check's answer.
    expect(await as("plain")).toBe(200);
    expect(await as("someone-else")).toBe(401);
  });

  test.each([
    ["nul-user", /the worker's answer cannot be trusted: a name or hash holds a NUL byte/],
    ["unasked", /the worker's answer cannot be trusted: it holds a permission that was not asked for/],
    ["status-9", /the worker's answer is malformed \(codec result -\d+\)/],
  ])("an answer the module's reader (native/anp_answer.c) does not trust (%s) fails the check with 500", async (user, reason) => {
    expect(await as(user)).toBe(500);
    expect(httpd.errorLog().match(failedWith(user))?.[1]).toMatch(reason);
    expect(await as("plain")).toBe(200);
  });

  test("a connection defines its handler id once, and again after an ERROR answer to the frame that defined it", async () => {
    expect(await as("plain")).toBe(200);
    // The pooled connection knows the id: no DEFINE_HANDLER now.
    expect(await as("no-definition")).toBe(200);
    // A broken answer closes the connection; the next check opens a new one and defines the id there...
    expect(await as("trailing")).toBe(500);
    // ...but the worker answers ERROR without applying it, so it is not known there yet...
    expect(await as("error")).toBe(500);
    expect(httpd.errorLog()).toMatch(/ANP0506: the worker could not check the password of user 'error': as asked/);
    // ...and the next check defines it again (else: "handler id 1 is not defined on this connection").
    expect(await as("no-definition")).toBe(401);
    expect(await as("no-definition")).toBe(200);
    expect(httpd.errorLog()).not.toMatch(/is not defined on this connection/);
  });

  test("the environ goes to script handlers only: the password's, or the group handler riding along", async () => {
    expect(await as("has-environ")).toBe(200);
    expect(await as("no-environ")).toBe(401);
    expect(await httpd.statusAs("/django/", "no-environ", "any password")).toBe(200);
    expect(await httpd.statusAs("/django/", "has-environ", "any password")).toBe(401);
    expect(await httpd.statusAs("/mixed/", "has-environ", "any password")).toBe(200);
    expect(await httpd.statusAs("/mixed/", "no-environ", "any password")).toBe(401);
  });

  test.each(["close-after", "end-after"])(
    "a pooled connection the worker left (%s) while idle: the next check is sent again on a new connection",
    async (user) => {
      const lefts = (): number => (httpd.errorLog().match(/fake worker: left/g) ?? []).length;
      // The fake worker numbers the connections it accepted. It logs "left" after the lines of every
      // connection before it, so a count read once a "left" is in the log is complete.
      const accepted = (): number => Math.max(0, ...[...httpd.errorLog().matchAll(/fake worker: connection (\d+)/g)].map((m) => Number(m[1])));
      const leave = async (who: string): Promise<number> => {
        const left = lefts();
        expect(await as(who)).toBe(200);
        // Once the worker's side is shut down, the module's idle check sees it. Before that, the request
        // would be written and then could not be sent again (it may have run), so the test waits for it.
        expect(await eventually(() => lefts() > left)).toBe(true);
        return accepted();
      };
      expect(await as("plain")).toBe(200);
      const before = await leave(user);
      expect(await as("plain")).toBe(200);
      expect(await as("someone-else")).toBe(401);
      expect(await as("plain")).toBe(200);
      // Four checks, one new connection: the one the worker left is replaced once, and the new one is
      // pooled and reused (without pooling, each check would be a connection of its own).
      expect(await leave("close-after")).toBe(before + 1);
    },
  );

  test("the module says who is asking with every password check: address, path, and the headers it has", async () => {
    const withHeaders = async (user: string, headers: ReadonlyArray<readonly [string, string]>) =>
      (await httpd.request("/valid/", { authorization: `Basic ${Buffer.from(`${user}:pw`).toString("base64")}`, headers })).status;
    expect(await withHeaders("who", [["User-Agent", "anp-test/1"], ["Accept", "text/plain"]])).toBe(200);
    expect(await withHeaders("who", [["User-Agent", "anp-test/2"], ["Accept", "text/plain"]])).toBe(401);
    expect(await withHeaders("no-headers", [])).toBe(200);
    expect(await withHeaders("no-headers", [["Accept", "text/plain"]])).toBe(401);
    // A header longer than the protocol allows is cut to 1024 bytes, not refused.
    expect(await withHeaders("long-agent", [["User-Agent", "a".repeat(1000) + "b".repeat(1000)]])).toBe(200);
  });

  test("THROTTLED with RETRY_AFTER where node is the first provider: 429, Retry-After and the lockout line, in one trip", async () => {
    const response = await httpd.request("/valid/", { authorization: `Basic ${Buffer.from("throttled:pw").toString("base64")}` });
    expect(response.status).toBe(429);
    expect(response.headers["retry-after"]).toBe("7");
    expect(response.headers["www-authenticate"]).toBeUndefined();
    expect(httpd.errorLog()).toMatch(
      /ANP0522: client 127\.0\.0\.1 locked out: user 'throttled', reason 'throttled: pair', until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(Retry-After 7\), answered 429/,
    );
    // A check that is not throttled goes once too: the provider takes the hook's answer (a second trip
    // for the same user would be DENIED: 401).
    expect(await as(`once-${String(Date.now())}`)).toBe(200);
  });

  test("a grant under another name, taken from the hook's answer, renames httpd's user (one trip)", async () => {
    expect(await as("rename-once")).toBe(200);
    // mod_auth_basic sets the sent name before it asks the provider; the kept answer renames it again.
    expect(httpd.accessLog()).toMatch(/ renamed@example\.org "GET \/valid\/ HTTP\/1\.[01]" 200 /);
    expect(httpd.errorLog()).toMatch(/ANP0503: user 'rename-once' authenticated as 'renamed@example\.org'/);
  });

  test("THROTTLED where node is not the first provider is a 401 with the same lockout line", async () => {
    const response = await httpd.request("/file-first/", { authorization: `Basic ${Buffer.from("throttled:pw").toString("base64")}` });
    expect(response.status).toBe(401);
    expect(response.headers["retry-after"]).toBeUndefined();
    expect(httpd.errorLog()).toMatch(/ANP0522: client 127\.0\.0\.1 locked out: user 'throttled', reason 'throttled: pair', until \S+ \(Retry-After 7\), answered 401/);
    // The file's own users are not the worker's business there.
    expect(await httpd.statusAs("/file-first/", "file-user", "file password")).toBe(200);
  });

  test.each([
    ["throttled-bare", /the worker's answer is malformed \(codec result -\d+\)/],
    ["throttled-zero", /the worker's answer is malformed \(codec result -\d+\)/],
  ])("a THROTTLED answer without a usable RETRY_AFTER (%s) fails the check with 500, never 429", async (user, reason) => {
    const response = await httpd.request("/valid/", { authorization: `Basic ${Buffer.from(`${user}:pw`).toString("base64")}` });
    expect(response.status).toBe(500);
    expect(response.headers["retry-after"]).toBeUndefined();
    expect(httpd.errorLog().match(failedWith(user))?.[1]).toMatch(reason);
    expect(await as("plain")).toBe(200);
  });

  test("THROTTLED answering GROUPS_FOR_USER (only a password check can be throttled) fails the check with 500", async () => {
    expect(await httpd.statusAs("/groups/", "file-user", "file password")).toBe(401); // the fake's DENIED: no groups
    expect(await httpd.statusAs("/groups/", "throttled-groups", "file password")).toBe(500);
    expect(httpd.errorLog()).toMatch(/fake worker: check throttled-groups kind 3\b/);
    expect(httpd.errorLog()).toMatch(/ANP0513: Require node-group: checking user 'throttled-groups' failed: the worker's answer is malformed/);
    expect(httpd.errorLog()).not.toMatch(/ANP0522: client \S+ locked out: user 'throttled-groups'/);
  });

  describe("the child's memo of throttled clients (THROTTLE_SCOPE)", () => {
    /** curl from `address` (127.0.0.x: the loopback answers them all) with Basic `user`, as status and Retry-After. */
    const from = async (address: string, user: string): Promise<{ status: number; retryAfter: number }> => {
      const { stdout } = await run("curl", ["-s", "-o", "/dev/null", "-D", "-", "--interface", address, "-u", `${user}:pw`, httpd.url("/valid/")]);
      return { status: Number(/^HTTP\/[\d.]+ (\d{3})/m.exec(stdout)?.[1] ?? "0"), retryAfter: Number(/^retry-after: *(\d+)/im.exec(stdout)?.[1] ?? "0") };
    };
    /** Checks of `user` from `address` that reached the fake worker. */
    const asked = (user: string, address: string): number =>
      httpd.errorLog().split("\n").filter((line) => line.includes(`fake worker: memo check ${user} from ${address}`)).length;
    /** `probe` from `address` right after `prime` was throttled from there: 429 and no trip for the probe. */
    const refusedWithoutTrip = async (address: string, prime: string, probe: string): Promise<boolean> => {
      expect(await from(address, prime)).toEqual({ status: 429, retryAfter: 30 });
      const before = asked(probe, address);
      const answer = await from(address, probe);
      // The memo's own Retry-After is what is left of the worker's 30 seconds, rounded up.
      return answer.status === 429 && answer.retryAfter >= 29 && answer.retryAfter <= 30 && asked(probe, address) === before;
    };

    test("an address-scoped THROTTLED refuses that address, any user, without a trip; another address still asks; it asks again after the memo's second", async () => {
      // Each attempt primes the memo and probes at once; the memo lives a second, so a probe that came
      // later than that would ask (a slow machine retries, broken code never passes).
      expect(await eventually(() => refusedWithoutTrip("127.0.0.3", "memo-address", "memo-other"))).toBe(true);
      expect(httpd.errorLog()).toMatch(/ANP0522: client 127\.0\.0\.3 locked out: user 'memo-other', reason 'throttled \(remembered\)', until \S+ \(Retry-After (29|30)\), answered 429/);
      const other = asked("memo-other", "127.0.0.4");
      expect((await from("127.0.0.4", "memo-other")).status).toBe(401);
      expect(asked("memo-other", "127.0.0.4")).toBe(other + 1);
      // The memo refuses for at most a second, not the worker's 30: after it, the check reaches the worker.
      const before = asked("memo-other", "127.0.0.3");
      expect(await eventually(async () => (await from("127.0.0.3", "memo-other")).status === 401)).toBe(true);
      expect(asked("memo-other", "127.0.0.3")).toBeGreaterThan(before);
    });

    test("a user-scoped THROTTLED refuses that user from that address only: other users from it still ask", async () => {
      expect(await eventually(() => refusedWithoutTrip("127.0.0.5", "memo-user", "memo-user"))).toBe(true);
      const other = asked("memo-other", "127.0.0.5");
      expect((await from("127.0.0.5", "memo-other")).status).toBe(401);
      expect(asked("memo-other", "127.0.0.5")).toBe(other + 1);
      const elsewhere = asked("memo-user", "127.0.0.6");
      expect((await from("127.0.0.6", "memo-user")).status).toBe(429);
      expect(asked("memo-user", "127.0.0.6")).toBe(elsewhere + 1);
    });

    test("a THROTTLED without THROTTLE_SCOPE is not remembered: each check asks", async () => {
      const before = asked("memo-unscoped", "127.0.0.7");
      expect((await from("127.0.0.7", "memo-unscoped")).status).toBe(429);
      expect((await from("127.0.0.7", "memo-unscoped")).status).toBe(429);
      expect(asked("memo-unscoped", "127.0.0.7")).toBe(before + 2);
    });
  });
});
