// What /proc says about the processes a bench started: memory (RSS, and PSS, which divides each shared
// page among the processes that map it, so a region shared by all of httpd's children counts once per
// server) and CPU time.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

export const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

export interface ProcessMemory {
  readonly pid: number;
  /** Resident set, KiB: every page mapped and present, shared or not. */
  readonly rssKb: number;
  /** Proportional set, KiB: a shared page's size divided by the number of processes mapping it. */
  readonly pssKb: number;
  /** Private_Clean + Private_Dirty, KiB: pages no other process maps. */
  readonly privateKb: number;
}

/** The process's memory from /proc/<pid>/smaps_rollup, or null when it has gone. */
export function processMemory(pid: number): ProcessMemory | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  } catch {
    return null;
  }
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0);
  return { pid, rssKb: field("Rss"), pssKb: field("Pss"), privateKb: field("Private_Clean") + field("Private_Dirty") };
}

/** utime + stime of a process, in clock ticks (0 when it has gone). */
export function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

export interface MemorySummary {
  readonly processes: number;
  readonly meanRssMiB: number;
  readonly meanPssMiB: number;
  readonly meanPrivateMiB: number;
  /** The PSS of all of them together, MiB. */
  readonly totalPssMiB: number;
}

export function summarizeMemory(list: readonly ProcessMemory[]): MemorySummary {
  const sum = (pick: (m: ProcessMemory) => number): number => list.reduce((total, m) => total + pick(m), 0) / 1024;
  const mean = (pick: (m: ProcessMemory) => number): number => (list.length ? sum(pick) / list.length : Number.NaN);
  return {
    processes: list.length,
    meanRssMiB: mean((m) => m.rssKb),
    meanPssMiB: mean((m) => m.pssKb),
    meanPrivateMiB: mean((m) => m.privateKb),
    totalPssMiB: sum((m) => m.pssKb),
  };
}
