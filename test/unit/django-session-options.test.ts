// src/django/session-options.ts: the secret_key_file content (SECRET_KEY, then fallbacks), sha1 only with
// Django 3.2, and a handler whose secret was not handed over by httpd's parent (no bootstrap) never reads
// the file itself.
import { describe, expect, it } from "vitest";
import { createDjangoHandler } from "../../src/django/handler.js";
import { parseSecretKeys, parseSessionOptions, sessionSettings } from "../../src/django/session-options.js";

const SQLITE = "sqlite:///nonexistent/anp-session-options.sqlite3";

describe("session options", () => {
  it("reads SECRET_KEY from the first line and every further non-empty line as a fallback", () => {
    expect(parseSecretKeys("k1\n\nold-1\r\nold-2\n")).toEqual({ secretKey: "k1", fallbackKeys: ["old-1", "old-2"] });
    expect(() => parseSecretKeys("\nk1")).toThrow("secret_key_file: its first line (the SECRET_KEY) is empty");
  });

  it("defaults as Django does, and marks the backends that admit inactive users", () => {
    const o = parseSessionOptions({ authentication_backends: "django.contrib.auth.backends.AllowAllUsersModelBackend, accounts.backends.Email" }, "5.2");
    expect(o).toMatchObject({ engine: "db", cookieName: "sessionid", cookieAge: 1209600, filePath: null, hashingAlgorithm: "sha256", secretKeyFile: null });
    expect(o.backends).toEqual([
      { path: "django.contrib.auth.backends.AllowAllUsersModelBackend", allowsInactive: true },
      { path: "accounts.backends.Email", allowsInactive: false },
    ]);
  });

  it("takes hashing_algorithm sha1 with django_version 3.2 only", () => {
    expect(parseSessionOptions({ hashing_algorithm: "sha1" }, "3.2").hashingAlgorithm).toBe("sha1");
    expect(() => parseSessionOptions({ hashing_algorithm: "sha1" }, "4.2")).toThrow("sha1 is Django 3.2's DEFAULT_HASHING_ALGORITHM only");
    const spec = { type: "django", database: SQLITE, django_version: "4.2", hashing_algorithm: "sha1" };
    expect(() => createDjangoHandler(spec, { log: () => {} })).toThrow(/hashing_algorithm/);
  });

  it("takes the secret from the bootstrap's files only; without it sessions cannot be checked", () => {
    const options = parseSessionOptions({ secret_key_file: "/etc/apache2/django-secret" }, "5.2");
    expect(sessionSettings(options, "5.2", null)).toMatch(/not passed by httpd's parent/);
    expect(sessionSettings(options, "5.2", new Map([["/other", "k"]]))).toMatch(/not passed by httpd's parent/);
    expect(sessionSettings(parseSessionOptions({}, "5.2"), "5.2", new Map())).toMatch(/no secret_key_file/);
    const settings = sessionSettings(options, "5.2", new Map([["/etc/apache2/django-secret", "the-key\nold-key"]]));
    expect(settings).toMatchObject({ secretKey: "the-key", fallbackKeys: ["old-key"], djangoVersion: "5.2", engine: "db" });
  });
});
