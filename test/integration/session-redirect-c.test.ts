// Runs the login redirect's C test (native/test/session_redirect_test.c, built by CMakeLists.txt):
// native/mod/session_redirect.c must write the Location that live Django 3.2's redirect_to_login writes for
// the same next value and login URL (QueryDict.urlencode(safe='/'), a login URL's own query kept and
// re-encoded, an existing next replaced in its place, the fragment last).
import { expect, it } from "vitest";
import { djangoLoginLocations, type LoginRedirectCase } from "../support/django-login-redirect.js";
import { runTapBinary } from "../support/tap-binary.js";

const NEXTS = [
  "/", "/secret/", "/a b/c", "/100%/x", "/p%20q", "/q?x=1&y=2", "/q?a=b+c&d=%41", "/frag#x", "/plus+minus",
  "//double//slash", "/uni/k\u00e4se/\u{1f511}", "/semi;colon/", "/tilde~_.-/", "/q?", "/x?next=/evil",
  "/'\"<>`{}|\\^", "/q?x=%ff%zz", "",
];
const LOGINS = [
  "/accounts/login/", "/login", "/login/?a=1", "/login/?next=/old&a=1", "/login/?a=1&b=2&a=3", "/login/?x+y=a+b&z",
  "/login/?a=%C3%A4&b=%ff&c=%zz&d", "/login/?;a=1&&b", "/login/#top", "/login/?a=1#top",
  "https://sso.example.com/login/", "http://sso.example.com:8443/login/?service=web", "/login/?next",
];

it("native/mod/session_redirect.c writes the Location live Django 3.2's redirect_to_login writes", () => {
  const cases: LoginRedirectCase[] = [];
  for (const loginUrl of LOGINS) for (const path of NEXTS) cases.push({ path, loginUrl });
  const locations = djangoLoginLocations(cases);
  const hex = (s: string): string => `x${Buffer.from(s, "utf8").toString("hex")}`;
  const lines = cases.map((c, i) => [hex(c.loginUrl), hex(c.path), hex(locations[i] ?? ""),
    `${JSON.stringify(c.loginUrl)} ${JSON.stringify(c.path)}`].join("\t"));
  const run = runTapBinary("session_redirect_test", `${lines.join("\n")}\n`);
  expect(run.planned).toBe(cases.length);
  expect(run.passed).toBe(cases.length);
});
