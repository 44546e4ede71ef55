// The session row's expiry against "now" as Django's USE_TZ decides it: UTC text with use_tz on, TIME_ZONE's
// naive local time with use_tz off (MySQL, SQLite), on an in-process SQLite file; and the options' rules
// (use_tz off needs time_zone, a zone this Node knows) when the handler is made.
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/django/database/index.js";
import { parseDatabaseUrl } from "../../src/django/database-url.js";
import { createDjangoHandler } from "../../src/django/handler.js";
import { buildStatements } from "../../src/django/queries.js";
import { SessionCheck, localText } from "../../src/django/session-check.js";
import { DB_SESSION_SALT, dumps } from "../../src/django/session/index.js";
import { resolveMapping } from "../../src/django/user-model.js";
import { utcText } from "../../src/django/axes-queries.js";
import { defaultSessionSettings } from "../support/session-settings.js";

const SECRET = "session time test key";
const SECRET_PATH = "/nonexistent/anp-session-time/key";
const KEY = "k2345678901234567890123456789012";
const NOW = Date.parse("2024-07-01T12:00:00.250Z");

describe("localText: a time as naive local text in a zone, as Django writes it with USE_TZ off", () => {
  it("follows the zone's offset and daylight saving time, and keeps Django's fraction rule", () => {
    expect(localText(new Date(NOW), "Europe/Paris")).toBe("2024-07-01 14:00:00.250000");
    expect(localText(new Date("2024-01-15T12:00:00Z"), "Europe/Paris")).toBe("2024-01-15 13:00:00");
    expect(localText(new Date("2024-01-15T03:00:00Z"), "America/Chicago")).toBe("2024-01-14 21:00:00");
    expect(localText(new Date("2024-01-15T00:30:00Z"), "UTC")).toBe(utcText(new Date("2024-01-15T00:30:00Z")));
  });
});

describe("the session row's expiry with use_tz on and off (SQLite, expire_date as text)", () => {
  let dir: string;
  let path: string;
  const settings = defaultSessionSettings(SECRET);

  beforeAll(() => {
    dir = mkdtempSync("/tmp/anp-session-time-");
    path = join(dir, "db.sqlite3");
    const db = new BetterSqlite3(path);
    db.exec("CREATE TABLE django_session (session_key varchar(40) NOT NULL PRIMARY KEY, session_data text NOT NULL, expire_date datetime NOT NULL)");
    db.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The check's reason for a row (no user in it) expiring at `expireText`, with use_tz / time_zone as given. */
  async function reasonFor(expireText: string, useTz: boolean, timeZone: string | null): Promise<string> {
    const raw = new BetterSqlite3(path);
    raw.prepare("DELETE FROM django_session").run();
    raw.prepare("INSERT INTO django_session VALUES (?, ?, ?)").run(KEY, dumps({}, SECRET, DB_SESSION_SALT, true, Math.floor(NOW / 1000)), expireText);
    raw.close();
    const database = openDatabase(parseDatabaseUrl(`sqlite://${path}`), { poolSize: 1, queryTimeoutMs: 1000, readOnly: true });
    try {
      const mapping = resolveMapping();
      const check = new SessionCheck({ database, statements: buildStatements(database.dialect, mapping), mapping, settings, useTz, timeZone, now: () => NOW });
      const verdict = await check.check(KEY);
      return verdict.kind === "anonymous" ? verdict.reason : "granted";
    } finally {
      await database.close();
    }
  }

  const seen = "no user logged in, or the backend is not listed";
  const expired = "no such session, or expired";

  it("use_tz on: expire_date is UTC text, compared with now in UTC", async () => {
    expect(await reasonFor(utcText(new Date(NOW + 60_000)), true, null)).toBe(seen);
    expect(await reasonFor(utcText(new Date(NOW - 60_000)), true, null)).toBe(expired);
  });

  it("use_tz off: expire_date is TIME_ZONE's local time, compared with now there", async () => {
    // Expired 30 minutes ago in Paris (UTC+2): as UTC text it would still look 90 minutes away.
    const pastInParis = localText(new Date(NOW - 30 * 60_000), "Europe/Paris");
    expect(await reasonFor(pastInParis, true, null)).toBe(seen);
    expect(await reasonFor(pastInParis, false, "Europe/Paris")).toBe(expired);
    // Valid for 30 more minutes in Chicago (UTC-5): as UTC text it would look hours past.
    const soonInChicago = localText(new Date(NOW + 30 * 60_000), "America/Chicago");
    expect(await reasonFor(soonInChicago, true, null)).toBe(expired);
    expect(await reasonFor(soonInChicago, false, "America/Chicago")).toBe(seen);
  });
});

describe("use_tz and time_zone when the handler is made", () => {
  const make = (extra: Record<string, string>) =>
    createDjangoHandler(
      { type: "django", database: "sqlite:///nonexistent/anp-session-time.sqlite3", secret_key_file: SECRET_PATH, ...extra },
      { log: () => {}, secretFiles: new Map([[SECRET_PATH, `${SECRET}\n`]]) },
    );

  it("refuses use_tz off without time_zone, and a zone this Node does not know", () => {
    expect(() => make({ use_tz: "off" })).toThrow("django handler: use_tz: off stores session expiry in TIME_ZONE's local time: set time_zone to the site's TIME_ZONE");
    expect(() => make({ use_tz: "off", time_zone: "Mars/Olympus_Mons" })).toThrow('django handler: time_zone: "Mars/Olympus_Mons" is not a time zone this worker\'s Node knows');
  });

  it("takes use_tz off with a known zone, and time_zone alone (unread with use_tz on)", async () => {
    await make({ use_tz: "off", time_zone: "Europe/Paris" }).close();
    await make({ time_zone: "Mars/Olympus_Mons" }).close();
  });
});
