// Resident set sizes read from /proc, for the bench table: Apache's children and the Node worker.
import { readdirSync, readFileSync } from "node:fs";

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly command: string;
  readonly rssKiB: number;
}

export function listProcesses(): ProcessInfo[] {
  const result: ProcessInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, "m").exec(status)?.[1] ?? "";
      result.push({
        pid: Number(entry),
        ppid: Number(field("PPid")),
        command: field("Name"),
        rssKiB: Number.parseInt(field("VmRSS") || "0", 10),
      });
    } catch {
      // The process exited between readdir and read: not ours to measure.
    }
  }
  return result;
}

/** Children of `parentPid` whose command name matches. */
export function childrenOf(parentPid: number, command: RegExp): ProcessInfo[] {
  return listProcesses().filter((p) => p.ppid === parentPid && command.test(p.command));
}

export function meanRssMiB(processes: readonly ProcessInfo[]): number {
  if (processes.length === 0) return Number.NaN;
  return processes.reduce((sum, p) => sum + p.rssKiB, 0) / processes.length / 1024;
}
