// Server-level mod_authnz_node directives that point the module at this checkout's worker, shared
// by the demo and the Apache test harness so both start the worker the same way.
import { join } from "node:path";

export function moduleServerDirectives(repoRoot: string, options: { logLevel?: string } = {}): string {
  return [
    `NodeAuthNodeBinary "${process.execPath}"`,
    `NodeAuthWorker "${join(repoRoot, "dist/worker.js")}"`,
    ...(options.logLevel ? [`NodeAuthWorkerLogLevel ${options.logLevel}`] : []),
  ].join("\n");
}
