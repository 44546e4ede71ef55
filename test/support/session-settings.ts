// Session settings for the session library's tests: Django's defaults (5.2, the db engine, the sessionid
// cookie, two weeks, ModelBackend), with what a test is about given as overrides.
import type { SessionSettings } from "../../src/django/session/index.js";

export const MODEL_BACKEND = { path: "django.contrib.auth.backends.ModelBackend", allowsInactive: false } as const;

export function defaultSessionSettings(secretKey: string, overrides: Partial<SessionSettings> = {}): SessionSettings {
  return {
    secretKey,
    fallbackKeys: [],
    djangoVersion: "5.2",
    hashingAlgorithm: "sha256",
    engine: "db",
    cookieName: "sessionid",
    cookieAge: 1_209_600,
    filePath: null,
    backends: [MODEL_BACKEND],
    ...overrides,
  };
}
