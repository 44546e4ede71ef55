// vitest globalSetup: before any test starts a server, remove what earlier runs left behind (servers and
// directories recorded by lifecycle.ts whose owner process has gone: a run killed with SIGKILL, a machine
// that lost power). A run going on now keeps its entries.
import { sweepLeftovers } from "./lifecycle.js";

export default function setup(): void {
  const { swept } = sweepLeftovers();
  if (swept.length > 0) console.log(`swept ${swept.length} leftover(s) of earlier test runs: ${swept.join(", ")}`);
}
