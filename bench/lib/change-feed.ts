// bench/http's change-feed stages: an Apache of its own whose locations have `NodeAuthDjangoOption
// change_feed on` (the triggers installed on the bench database first), so that its children answer
// repeated logins from the verdict store they share, and nothing else in the run takes that path.
//   (l) repeated Basic login, (m) the same at a `Require group` location: wrk, as the other stages;
//       the worker's CPU time per request is printed beside them (near nothing when the store answers).
//   (n) commit to refused: a client logs in again and again on one keep-alive connection while the bench
//       commits a password change (or a deactivation) on a connection of its own; per trial, from the
//       commit's return to the sending of the first request that is refused (until then the client may be
//       granted: that is the time the change takes to be enforced), and to that 401's arrival (which adds
//       the refusal's own cost: the worker hashes the wrong password at its hashing threads' low priority);
//       then the change is undone.
import { spawnSync } from "node:child_process";
import { request, Agent } from "node:http";
import { resolve, join } from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { djangoLocation, sessionLocation, startBenchApache, type BenchApache } from "./apache.js";
import { cpuTicks, CLOCK_TICKS } from "./proc.js";
import { percentile } from "./flood.js";
import type { WrkResult } from "./wrk.js";

const REPO = resolve(import.meta.dirname, "../..");
const FEED_ON = "NodeAuthDjangoOption change_feed on";

/** `mod-authnz-node install-triggers` (the built CLI) on the bench database, as its DBA would run it. */
export function installTriggers(databaseUrl: string): void {
  const run = spawnSync(process.execPath, [join(REPO, "dist/cli.js"), "install-triggers", "--database", databaseUrl], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`install-triggers exited ${String(run.status)}:\n${run.stdout}${run.stderr}`);
}

/**
 * The Apache for (l), (m) and (n): the same file at a no-auth path and behind change_feed locations.
 * `build`: another build of the module and the Apache modules it needs (bench/shared-store.ts).
 */
export function startFeedApache(
  file: string,
  databaseUrl: string,
  sessionKeyFile: string | null = null,
  build: { modulePath?: string; extraModules?: readonly string[] } = {},
): Promise<BenchApache> {
  return startBenchApache({
    ...build,
    files: { "open/file.txt": file, "feed/file.txt": file, "feedgroup/file.txt": file, "feedsession/file.txt": file },
    nodeModule: true,
    body: [
      "NodeAuthThrottleExempt 127.0.0.1",
      djangoLocation("/feed", databaseUrl, [FEED_ON]),
      djangoLocation("/feedgroup", databaseUrl, [FEED_ON], "Require group secret-agents"),
      ...(sessionKeyFile === null ? [] : [sessionLocation("/feedsession", databaseUrl, sessionKeyFile, [FEED_ON])]),
    ].join("\n"),
  });
}

/** Runs `load` and says how much CPU the server's worker(s) spent per request meanwhile, in µs. */
export async function withWorkerCpu(server: BenchApache, load: () => Promise<WrkResult>): Promise<{ result: WrkResult; workerUsPerRequest: number }> {
  const pids = server.workerPids();
  const ticks = (): number => pids.reduce((sum, pid) => sum + cpuTicks(pid), 0);
  const before = ticks();
  const result = await load();
  const spent = ticks() - before;
  return { result, workerUsPerRequest: ((spent / CLOCK_TICKS) * 1e6) / Math.max(1, result.requests) };
}

/** A change (n) commits on auth_user for one user, and the statement that undoes it. */
export interface FeedChange {
  readonly kind: string;
  readonly apply: pg.QueryConfig;
  readonly undo: pg.QueryConfig;
}

export function feedChanges(username: string, otherEncoded: string, ownEncoded: string): FeedChange[] {
  const setPassword = "UPDATE auth_user SET password = $1 WHERE username = $2";
  const setActive = "UPDATE auth_user SET is_active = $1 WHERE username = $2";
  return [
    { kind: "password change", apply: { text: setPassword, values: [otherEncoded, username] }, undo: { text: setPassword, values: [ownEncoded, username] } },
    { kind: "deactivation", apply: { text: setActive, values: [false, username] }, undo: { text: setActive, values: [true, username] } },
  ];
}

export interface CommitToRefused {
  readonly kind: string;
  /**
   * Milliseconds from each commit's return to the sending of the first request answered 401 (0 when one
   * sent before the commit returned was refused); Infinity when none came in time.
   */
  readonly enforcedMs: number[];
  /** Milliseconds from each commit's return to the arrival of that 401. */
  readonly refusedMs: number[];
  /** Over all trials, 200s answered to requests sent after the commit had returned. */
  readonly grantsAfterCommit: number;
  readonly requests: number;
}

interface Answer {
  readonly sentAt: number;
  readonly receivedAt: number;
  readonly status: number;
}

/** One client on one keep-alive connection, each request sent when the last one's answer is in. */
class LoginLoop {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  private readonly answers: Answer[] = [];
  private running = true;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly url: string,
    private readonly credentials: string,
  ) {}

  start(): void {
    this.done = (async () => {
      while (this.running) this.answers.push(await this.once());
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
    this.agent.destroy();
  }

  get count(): number {
    return this.answers.length;
  }

  /** The first answer after index `from` that matches, waiting up to `timeoutMs`. */
  async next(from: number, match: (a: Answer) => boolean, timeoutMs: number): Promise<Answer | null> {
    const deadline = performance.now() + timeoutMs;
    for (let i = from; performance.now() < deadline; ) {
      for (; i < this.answers.length; i++) if (match(this.answers[i]!)) return this.answers[i]!;
      await new Promise((r) => setImmediate(r));
    }
    return null;
  }

  since(from: number): readonly Answer[] {
    return this.answers.slice(from);
  }

  private once(): Promise<Answer> {
    const sentAt = performance.now();
    return new Promise((resolve) => {
      const req = request(this.url, { agent: this.agent, headers: { Authorization: `Basic ${Buffer.from(this.credentials, "utf8").toString("base64")}` } }, (res) => {
        res.resume();
        res.on("end", () => resolve({ sentAt, receivedAt: performance.now(), status: res.statusCode ?? 0 }));
        res.on("error", () => resolve({ sentAt, receivedAt: performance.now(), status: 0 }));
      });
      req.on("error", () => resolve({ sentAt, receivedAt: performance.now(), status: 0 }));
      req.end();
    });
  }
}

/** (n): `trials` commits of each change while the client loops; each is undone and a 200 seen again before the next. */
export async function commitToRefused(options: {
  server: BenchApache;
  /** A location guarded by the bench database (the change-feed one: "/feed/file.txt"). */
  path: string;
  databaseUrl: string;
  credentials: string;
  changes: readonly FeedChange[];
  trials: number;
}): Promise<CommitToRefused[]> {
  const db = new pg.Client({ connectionString: options.databaseUrl });
  await db.connect();
  const loop = new LoginLoop(options.server.url(options.path), options.credentials);
  loop.start();
  try {
    const results: CommitToRefused[] = [];
    for (const change of options.changes) results.push(await trialsOf(change, loop, db, options.trials));
    return results;
  } finally {
    await loop.stop();
    await db.end();
  }
}

async function trialsOf(change: FeedChange, loop: LoginLoop, db: pg.Client, trials: number): Promise<CommitToRefused> {
  const enforcedMs: number[] = [];
  const refusedMs: number[] = [];
  let grantsAfterCommit = 0;
  const first = loop.count;
  for (let trial = 0; trial < trials; trial++) {
    // A few granted logins first, so the store holds the grant the change must end, and a random pause so
    // the commit does not fall in step with the client's requests.
    const granted = await loop.next(loop.count, (a) => a.status === 200, 5000);
    if (!granted) throw new Error(`(n) ${change.kind}: no 200 within 5 s before trial ${trial}`);
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
    const mark = loop.count;
    await db.query(change.apply);
    const committed = performance.now();
    const refused = await loop.next(mark, (a) => a.status === 401, 5000);
    enforcedMs.push(refused ? Math.max(0, refused.sentAt - committed) : Number.POSITIVE_INFINITY);
    refusedMs.push(refused ? refused.receivedAt - committed : Number.POSITIVE_INFINITY);
    grantsAfterCommit += loop.since(mark).filter((a) => a.sentAt > committed && a.status === 200 && (!refused || a.receivedAt <= refused.receivedAt)).length;
    await db.query(change.undo);
  }
  return { kind: change.kind, enforcedMs, refusedMs, grantsAfterCommit, requests: loop.count - first };
}

/** A (n) result in one line: p50 / p99 / max of both times, in ms. */
export function describeCommitToRefused(r: CommitToRefused): string {
  const fmt = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : "never");
  const spread = (ms: readonly number[]): string => `p50 ${fmt(percentile(ms, 50))}, p99 ${fmt(percentile(ms, 99))}, max ${fmt(Math.max(...ms))} ms`;
  const missed = r.enforcedMs.filter((ms) => !Number.isFinite(ms)).length;
  return (
    `${r.kind}, ${r.enforcedMs.length} trials: commit to enforced (first refused request sent) ${spread(r.enforcedMs)}; ` +
    `commit to the 401's arrival ${spread(r.refusedMs)}; ${missed} never refused within 5 s; ` +
    `${r.grantsAfterCommit} 200s to requests sent after the commit returned (${r.requests} requests in all)`
  );
}
