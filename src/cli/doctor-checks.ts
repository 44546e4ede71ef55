// What `mod-authnz-node doctor` concludes from httpd's own answers. httpd parses the configuration and the
// module reports its traps at configtest with stable log ids (docs/module.md), so the doctor reads those
// lines instead of parsing Apache's configuration a second time, which could only drift from httpd's.

export type Status = "ok" | "warn" | "fail";

export interface Finding {
  readonly check: string;
  readonly status: Status;
  readonly detail: string;
  /** What to change; absent when the check is ok. */
  readonly fix?: string;
}

/** What `<httpd> -t -D DUMP_MODULES` gave: its exit status and everything it wrote, stdout and stderr. */
export interface ConfigTest {
  readonly status: number | null;
  readonly output: string;
}

const MODULE_NAME = "authnz_node_module";

/** The text after a module log id (`ANP0108: ...`), one entry per line that carries it. */
export function logLines(output: string, id: string): string[] {
  const marker = `${id}: `;
  return output
    .split("\n")
    .filter((line) => line.includes(marker))
    .map((line) => line.slice(line.indexOf(marker) + marker.length).trim());
}

/** The names `-D DUMP_MODULES` listed (` name_module (shared)`), empty when it listed none. */
export function loadedModules(output: string): Set<string> {
  const names = new Set<string>();
  for (const match of output.matchAll(/^ (\w+_module) \((?:static|shared)\)$/gm)) names.add(match[1] as string);
  return names;
}

/** Whether httpd accepts the configuration at all; the worker-access refusal (ANP0342) is a check of its own. */
export function configTestFinding(test: ConfigTest): Finding {
  if (test.status === 0) return { check: "configtest", status: "ok", detail: "httpd accepts the configuration" };
  // The refusal is what is not one of the module's warnings: httpd's AH lines, a crit/error, "Syntax error".
  const errors = test.output
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !/:warn\]/.test(line) && !/^Syntax OK$/.test(line));
  const shown = errors.length > 0 ? errors.join("; ") : `exit status ${String(test.status)}`;
  return { check: "configtest", status: "fail", detail: `httpd refuses the configuration: ${shown}`, fix: "correct the line httpd names; httpd will not start as it is" };
}

export function moduleLoadedFinding(test: ConfigTest): Finding {
  const modules = loadedModules(test.output);
  if (modules.has(MODULE_NAME)) return { check: "module-loaded", status: "ok", detail: `${MODULE_NAME} is loaded` };
  return {
    check: "module-loaded",
    status: "fail",
    detail: `${MODULE_NAME} is not among the ${String(modules.size)} modules httpd loads`,
    fix: "a2enmod authnz_node (or LoadModule authnz_node_module .../mod_authnz_node.so), then apache2ctl graceful",
  };
}

/**
 * Who answers `Require group`: the module decides it at configtest (providers.c, anp_log_group_owner) by
 * looking the provider up as httpd will, and says so with ANP0101 / ANP0102 (ANP0103 is debug, not shown).
 */
export function groupOwnerFinding(test: ConfigTest): Finding {
  const check = "require-group-owner";
  const node = logLines(test.output, "ANP0101");
  const other = logLines(test.output, "ANP0102");
  if (other.length > 0) {
    return {
      check,
      status: "warn",
      detail: other[0] as string,
      fix: "write Require node-group for Django groups; or load mod_authnz_node after mod_authz_groupfile if `Require group` must mean Django groups",
    };
  }
  if (node.length > 0) {
    return {
      check,
      status: "warn",
      detail: node[0] as string,
      fix: "write Require file-group where AuthGroupFile is meant, and Require node-group for Django groups, so neither depends on load order",
    };
  }
  return { check, status: "ok", detail: "Require group is answered by mod_authnz_node (mod_authz_groupfile is not loaded)" };
}

/** One finding per ANP0108 line: a bare group/permission line next to `Require valid-user` lets every valid user in. */
export function requireAnyFindings(test: ConfigTest): Finding[] {
  const traps = logLines(test.output, "ANP0108");
  if (traps.length === 0) return [{ check: "require-any-trap", status: "ok", detail: "no bare Require group / node-group / node-permission next to Require valid-user" }];
  return traps.map((line) => ({
    check: "require-any-trap",
    status: "fail",
    detail: line.replace(/; put both lines in <RequireAll>$/, ""),
    fix: "put both Require lines in <RequireAll>...</RequireAll> (or drop Require valid-user)",
  }));
}

/** The worker's user cannot reach the node binary or the worker (the module's own check at -t, ANP0342). */
export function workerAccessFinding(test: ConfigTest): Finding {
  const refused = logLines(test.output, "ANP0342");
  if (refused.length === 0) return { check: "worker-access", status: "ok", detail: "the worker's user can execute NodeAuthNodeBinary and read NodeAuthWorker" };
  return {
    check: "worker-access",
    status: "fail",
    detail: refused[0] as string,
    fix: "give the worker's user (NodeAuthWorkerUser, else User) search permission on each directory of the path it names and read permission on the file",
  };
}

/** The worst status of all: what the exit status follows. */
export function worst(findings: readonly Finding[]): Status {
  if (findings.some((finding) => finding.status === "fail")) return "fail";
  if (findings.some((finding) => finding.status === "warn")) return "warn";
  return "ok";
}
