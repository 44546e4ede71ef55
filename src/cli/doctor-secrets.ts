// The doctor's secrets check. The module already refuses, at configtest, a secret file (secret_key_file,
// a `file:` URL, a Redis URL file) that others, httpd's User or one of its groups could read
// (native/mod/worker_inputs.c): the doctor reports those refusals by their words. What the module does not
// look at is a password written into NodeAuthDjangoDatabase itself, in a configuration file every user
// may read; DUMP_CONFIG says which file each directive came from.
import { statSync } from "node:fs";
import type { ConfigTest, Finding } from "./doctor-checks.js";
import type { DjangoSection } from "./doctor-database.js";

const EXPOSED = /can be read or written by others|belongs to httpd's User, who could read it|readable or writable by a group httpd's User is in/;

/** The module's own refusals of exposed secret files, one finding each. */
export function exposedFileFindings(test: ConfigTest): Finding[] {
  return test.output
    .split("\n")
    .filter((line) => EXPOSED.test(line))
    .map((line) => ({
      check: "secret-files",
      status: "fail",
      detail: line.trim(),
      fix: "chown root:root and chmod 0600 the file: httpd's parent reads it as root and hands it to the worker",
    }));
}

/** A URL with a password in it (`scheme://user:password@host`); the password itself is never shown. */
const INLINE_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@:]*:[^/@]+@/i;

export function inlinePasswordFindings(sections: readonly DjangoSection[]): Finding[] {
  const check = "secret-files";
  const findings: Finding[] = [];
  for (const { section, spec, file } of sections) {
    const url = spec.database ?? "";
    if (!INLINE_PASSWORD.test(url) || file === null) continue;
    let mode: number;
    try {
      mode = statSync(file).mode;
    } catch {
      continue;
    }
    if ((mode & 0o004) !== 0) {
      findings.push({
        check,
        status: "fail",
        detail: `${section} in ${file}: NodeAuthDjangoDatabase carries a password, and every user may read the file (mode ${(mode & 0o777).toString(8).padStart(4, "0")})`,
        fix: "move the URL into a root-owned 0600 file and write NodeAuthDjangoDatabase file:/that/path (or chmod o-r the configuration file)",
      });
    } else findings.push({ check, status: "ok", detail: `${section} in ${file}: the database password is in a file others cannot read` });
  }
  return findings;
}

/** ok when neither the module nor the inline-password check found anything. */
export function secretFindings(test: ConfigTest, sections: readonly DjangoSection[]): Finding[] {
  const found = [...exposedFileFindings(test), ...inlinePasswordFindings(sections)];
  if (found.length > 0) return found;
  return [{ check: "secret-files", status: "ok", detail: "no secret file others can read, no database password in a world-readable configuration file" }];
}
