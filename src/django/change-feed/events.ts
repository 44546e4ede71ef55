// What a change feed delivers: one event per change to something that decides an answer, in the order the
// database committed them. The key's meaning depends on the kind:
//   user        the user's primary key as text: its row (password, is_active, is_staff, is_superuser, name,
//               or the row's deletion), its group memberships or its own permissions changed
//   group       a group's primary key: its permissions, its name, or the group itself changed (every member)
//   permission  a permission's primary key: its codename or content type changed, or it was deleted
//   session     the first 32 hex digits of SHA-256 of the session key (never the key: PostgreSQL's NOTIFY
//               payloads are visible to every role that may connect and LISTEN)
//   all         "": anything may have changed (a content type renamed, a gap, a reconnect, an unreadable
//               payload): whoever keeps state from the feed starts over
import { createHash } from "node:crypto";

export type ChangeKind = "user" | "group" | "permission" | "session" | "all";

export interface ChangeEvent {
  readonly kind: ChangeKind;
  readonly key: string;
}

export const ALL_EVENT: ChangeEvent = Object.freeze({ kind: "all", key: "" });

const KINDS: ReadonlySet<string> = new Set<ChangeKind>(["user", "group", "permission", "session", "all"]);

/** Longest key a trigger writes (the change tables' column width); anything longer is not ours. */
export const MAX_KEY_LENGTH = 191;

/**
 * An event from a trigger's `kind` and `key` (NOTIFY's "kind:key" payload split, or a change row); anything
 * that is not one of ours is read as "all", so a payload nobody understands can only make answers fresher.
 */
export function eventFrom(kind: unknown, key: unknown): ChangeEvent {
  if (typeof kind !== "string" || !KINDS.has(kind)) return ALL_EVENT;
  const text = typeof key === "string" ? key : typeof key === "number" || typeof key === "bigint" ? String(key) : null;
  if (text === null || text.length > MAX_KEY_LENGTH || (kind !== "all" && text === "")) return ALL_EVENT;
  if (kind === "all") return ALL_EVENT;
  return { kind: kind as ChangeKind, key: text };
}

/** PostgreSQL's payload, "kind:key" (the key may itself hold colons). */
export function eventFromPayload(payload: string | undefined): ChangeEvent {
  if (payload === undefined) return ALL_EVENT;
  const colon = payload.indexOf(":");
  if (colon < 0) return ALL_EVENT;
  return eventFrom(payload.slice(0, colon), payload.slice(colon + 1));
}

/** A session key as the session events carry it: what the triggers of PostgreSQL and MySQL compute in SQL. */
export function sessionKeyHash(sessionKey: string): string {
  return createHash("sha256").update(sessionKey, "utf8").digest("hex").slice(0, 32);
}
