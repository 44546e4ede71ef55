// What a test process started must not outlive it, however it ends. The servers run in process groups
// (and the module's worker in a session) of their own, so neither a signal to the test process nor its
// death reaches them. Three layers:
// - cleanups run on a normal exit, and on SIGINT, SIGTERM and SIGHUP (tinypool ends a fork with SIGTERM;
//   Ctrl-C sends SIGINT to the foreground group) or the loss of a fork's IPC channel (taken as SIGHUP),
//   after which the signal is raised again so the process ends with that signal's status;
// - each started server and temp directory is also recorded in a registry directory, so that the next
//   run's sweep (globalSetup) can remove what a SIGKILLed run left, but only once its owner has gone;
// - .ci/run kills the test process tree on exit, INT, TERM and HUP, then sweeps.
// The registry is trusted by a sweep that may run as root, so it lives in a directory this uid owns and
// nobody else may write (checked on every use), and a directory entry names only an `anp-` directory
// directly under /tmp: a registry file cannot steer the sweep anywhere else.
import { lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join } from "node:path";

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Per uid, so a run as another user neither reads nor trips over root's entries; a test may set its own. */
export const REGISTRY_DIR = process.env.ANP_TEST_REGISTRY ?? `/tmp/anp-test-registry-${process.getuid?.() ?? "u"}`;

/** A server process: `group` when it leads a process group of its own (spawned detached). */
interface ProcessEntry {
  readonly kind: "process";
  readonly pid: number;
  readonly startTime: string;
  readonly group: boolean;
}

/** A throwaway directory; processes whose command line names it are part of it (servers started in it). */
interface DirectoryEntry {
  readonly kind: "directory";
  readonly path: string;
}

type Entry = (ProcessEntry | DirectoryEntry) & { readonly ownerPid: number; readonly ownerStartTime: string };

interface Tracked {
  readonly entry: Entry;
  readonly file: string | null;
}

const tracked = new Set<Tracked>();
let sequence = 0;
let hooksInstalled = false;

/** Field 22 of /proc/<pid>/stat (start time in clock ticks), or null for a gone or zombie process. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] === "Z" ? null : (fields[19] ?? null);
  } catch {
    return null;
  }
}

function sameProcessAlive(pid: number, startTime: string): boolean {
  return pid > 0 && processStartTime(pid) === startTime;
}

/** Every process as pid → [ppid, command line]; those that end while we read are left out. */
function processTable(): Map<number, { ppid: number; command: string }> {
  const table = new Map<number, { ppid: number; command: string }>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "latin1");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      table.set(Number(name), { ppid, command: readFileSync(`/proc/${name}/cmdline`, "utf8").replaceAll("\0", " ") });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

function descendantsIn(table: ReadonlyMap<number, { ppid: number }>, root: number): number[] {
  const found: number[] = [];
  let frontier = new Set([root]);
  while (frontier.size > 0) {
    const next = new Set<number>();
    for (const [pid, { ppid }] of table) if (frontier.has(ppid)) next.add(pid);
    found.push(...next);
    frontier = next;
  }
  return found;
}

function sigkill(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Processes whose command line names `directory` (the path, then a slash, a space or the end). */
export function processesNaming(directory: string): number[] {
  const pattern = new RegExp(`${directory.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(/| |$)`);
  const found: number[] = [];
  for (const [pid, { command }] of processTable()) if (pid !== process.pid && pattern.test(command)) found.push(pid);
  return found;
}

/** Only `anp-*` directly under /tmp, spelled the way realpath spells it: what the harness creates. */
export function sweepableDirectory(path: string): boolean {
  if (!isAbsolute(path) || dirname(path) !== "/tmp" || !/^anp-[A-Za-z0-9._-]+$/.test(basename(path))) return false;
  try {
    return realpathSync(path) === path && lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Synchronous (it runs in exit and signal handlers): SIGKILL to the process, its group and descendants;
 * for a directory, to the processes that name it, then removal. A directory read from the registry must
 * pass sweepableDirectory() (`fromRegistry`); one this process created is its own to remove.
 */
function destroy(entry: Entry, fromRegistry: boolean): void {
  if (entry.kind === "process") {
    if (!sameProcessAlive(entry.pid, entry.startTime)) return;
    const children = descendantsIn(processTable(), entry.pid);
    if (entry.group) sigkill(-entry.pid);
    sigkill(entry.pid);
    for (const pid of children) sigkill(pid);
    return;
  }
  if (fromRegistry && !sweepableDirectory(entry.path)) return;
  for (const pid of processesNaming(entry.path)) sigkill(pid);
  rmSync(entry.path, { recursive: true, force: true });
}

/** The registry directory when it is ours and only ours to write; null otherwise (then nothing is recorded). */
function registry(dir = REGISTRY_DIR): string | null {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") return null;
  }
  try {
    const stat = lstatSync(dir);
    const ours = stat.isDirectory() && stat.uid === process.getuid?.() && (stat.mode & 0o077) === 0;
    return ours ? dir : null;
  } catch {
    return null;
  }
}

function record(entry: Entry): string | null {
  const dir = registry();
  if (dir === null) return null;
  const file = join(dir, `${process.pid}-${++sequence}.json`);
  try {
    writeFileSync(file, JSON.stringify(entry), { mode: 0o600, flag: "wx" });
    return file;
  } catch {
    return null;
  }
}

/** Runs every pending cleanup, processes before directories (a server may hold files in its directory). */
export function cleanUpNow(): void {
  const rank = (item: Tracked): number => (item.entry.kind === "process" ? 0 : 1);
  const pending = [...tracked].sort((a, b) => rank(a) - rank(b));
  for (const item of pending) {
    try {
      destroy(item.entry, false);
    } catch {
      // keep going: the others must still go
    }
    release(item);
  }
}

function release(item: Tracked): void {
  tracked.delete(item);
  if (item.file !== null) rmSync(item.file, { force: true });
}

function onSignal(signal: NodeJS.Signals): void {
  cleanUpNow();
  for (const name of SIGNALS) process.removeListener(name, onSignal);
  // Raised again with no handler of ours left: the process ends with this signal's status.
  process.kill(process.pid, signal);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once("exit", cleanUpNow);
  for (const name of SIGNALS) process.on(name, onSignal);
  // A vitest fork whose parent has gone (the main process alone was killed) would run on, holding its
  // servers: losing the IPC channel is taken as a hangup.
  if (process.connected) process.once("disconnect", () => onSignal("SIGHUP"));
}

function track(what: ProcessEntry | DirectoryEntry): () => void {
  installHooks();
  const entry: Entry = { ...what, ownerPid: process.pid, ownerStartTime: processStartTime(process.pid) ?? "" };
  const item: Tracked = { entry, file: record(entry) };
  tracked.add(item);
  return () => release(item);
}

/**
 * Kills `pid` (and its group when `group`, and its descendants) if this process ends first. Returns the
 * release to call once the process has been stopped normally.
 */
export function trackProcess(pid: number | undefined, options: { readonly group: boolean }): () => void {
  const startTime = pid === undefined ? null : processStartTime(pid);
  if (pid === undefined || startTime === null) return () => {};
  return track({ kind: "process", pid, startTime, group: options.group });
}

/** Removes `directory` (killing processes that name it first) if this process ends first. Returns the release. */
export function trackDirectory(directory: string): () => void {
  return track({ kind: "directory", path: directory });
}

function parseEntry(text: string): Entry | null {
  try {
    const value = JSON.parse(text) as Partial<Entry> & Record<string, unknown>;
    if (!Number.isInteger(value.ownerPid) || typeof value.ownerStartTime !== "string") return null;
    if (value.kind === "process" && Number.isInteger(value.pid) && typeof value.startTime === "string" && typeof value.group === "boolean") {
      return value as Entry;
    }
    if (value.kind === "directory" && typeof value.path === "string") return value as Entry;
    return null;
  } catch {
    return null;
  }
}

export interface SweepResult {
  /** What was killed or removed: "process <pid>" and "directory <path>". */
  readonly swept: string[];
  /** Entries left because their owner still runs. */
  readonly kept: number;
}

/**
 * Kills and removes what earlier runs recorded and did not clean up, for entries whose owner process is
 * gone (a live owner, another run going on now, keeps its entries). Unreadable entries are dropped.
 */
export function sweepLeftovers(registryDir = REGISTRY_DIR): SweepResult {
  const dir = registry(registryDir);
  if (dir === null) return { swept: [], kept: 0 };
  const entries: Array<{ file: string; entry: Entry | null }> = [];
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    let text: string;
    try {
      if (!lstatSync(file).isFile()) continue;
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    entries.push({ file, entry: parseEntry(text) });
  }
  // Processes before directories, as in cleanUpNow().
  const rank = (entry: Entry | null): number => (entry?.kind === "process" ? 0 : 1);
  entries.sort((a, b) => rank(a.entry) - rank(b.entry));
  const swept: string[] = [];
  let kept = 0;
  for (const { file, entry } of entries) {
    // An entry that does not parse may be one its owner is still writing: the file name has the owner's pid.
    const ownerAlive = entry !== null ? sameProcessAlive(entry.ownerPid, entry.ownerStartTime) : processStartTime(Number(basename(file).split("-")[0])) !== null;
    if (ownerAlive) {
      kept++;
      continue;
    }
    if (entry?.kind === "process" && sameProcessAlive(entry.pid, entry.startTime)) swept.push(`process ${entry.pid}`);
    if (entry?.kind === "directory" && sweepableDirectory(entry.path)) swept.push(`directory ${entry.path}`);
    try {
      if (entry !== null) destroy(entry, true);
    } catch {
      // What cannot be removed now stays; the entry goes, so one bad entry cannot stop every later run.
    }
    // Another run starting at the same time may sweep the same entry.
    rmSync(file, { force: true });
  }
  return { swept, kept };
}
