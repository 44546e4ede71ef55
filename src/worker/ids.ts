// Resolves user and group names to numeric ids through NSS (`getent`), so LDAP/sssd names work as
// they do for httpd's own User/Group directives. Node has no getpwnam/getgrnam.
import { execFileSync } from "node:child_process";

export type IdDatabase = "passwd" | "group";

/** The numeric id of `nameOrId`, or null when it names nothing. Numbers pass through unchanged. */
export function resolveId(database: IdDatabase, nameOrId: string): number | null {
  if (/^\d+$/.test(nameOrId)) {
    const id = Number(nameOrId);
    return Number.isSafeInteger(id) && id <= 0xffffffff ? id : null;
  }
  if (!/^[A-Za-z0-9_.][A-Za-z0-9_.@-]*\$?$/.test(nameOrId)) return null;
  let line: string;
  try {
    line = execFileSync("getent", [database, nameOrId], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return null; // getent exits 2 for an unknown name
  }
  const id = Number(line.split(":")[2]);
  return Number.isSafeInteger(id) ? id : null;
}
