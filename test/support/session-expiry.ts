// A Django session row's expire_date set by a test, through the project's own database adapter: PostgreSQL's
// column is timestamptz (an instant); MySQL's and SQLite's hold naive UTC text, as Django writes it with USE_TZ.
import { utcText } from "../../src/django/axes-queries.js";
import { openDatabase } from "../../src/django/database/index.js";
import { parseDatabaseUrl } from "../../src/django/database-url.js";

export async function setSessionExpiry(databaseUrl: string, sessionKey: string, at: Date): Promise<void> {
  const db = openDatabase(parseDatabaseUrl(databaseUrl), { poolSize: 1, queryTimeoutMs: 5000, readOnly: false }, () => {});
  const q = (identifier: string): string => db.dialect.quote(identifier);
  const p = (index: number): string => db.dialect.placeholder(index);
  try {
    const value = db.dialect.name === "postgres" ? at.toISOString() : utcText(at);
    await db.execute(`UPDATE ${q("django_session")} SET ${q("expire_date")} = ${p(1)} WHERE ${q("session_key")} = ${p(2)}`, [value, sessionKey]);
  } finally {
    await db.close();
  }
}
