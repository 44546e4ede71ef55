// Django 3.2's own redirect_to_login (Debian's python3-django, run by /usr/bin/python3), for tests that
// hold the module's login redirect to it: pairs of (path, login URL) in, each Location out.
import { spawnSync } from "node:child_process";
import { expect } from "vitest";

export interface LoginRedirectCase {
  readonly path: string;
  readonly loginUrl: string;
}

const SCRIPT = `
import json, sys, types
# resolve_url tries reverse() first: an empty URLconf makes every login URL go through as a URL.
sys.modules["anp_urls"] = types.ModuleType("anp_urls")
sys.modules["anp_urls"].urlpatterns = []
from django.conf import settings
settings.configure(DEBUG=False, SECRET_KEY="x", ALLOWED_HOSTS=["*"], ROOT_URLCONF="anp_urls",
                   INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"])
import django
django.setup()
from django.contrib.auth.views import redirect_to_login
out = []
for case in json.load(sys.stdin):
    out.append(redirect_to_login(case["path"], case["loginUrl"])["Location"])
json.dump(out, sys.stdout)
`;

/** The Location Django writes for each case, in order. */
export function djangoLoginLocations(cases: readonly LoginRedirectCase[]): string[] {
  const run = spawnSync("/usr/bin/python3", ["-c", SCRIPT], { input: JSON.stringify(cases), encoding: "utf8" });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as string[];
}
