// HTTP clients bound to a chosen loopback source address (wrk cannot pick one): `lanes` keep-alive
// connections from `localAddress`, each sending Basic requests back to back until `seconds` have passed,
// recording every answer's status and latency. Used by bench/http's flood-isolation stage, where the
// flooder and the second client must reach Apache (and so the worker's throttle) as distinct addresses.
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";

export interface LaneOptions {
  readonly url: string;
  readonly localAddress: string;
  readonly lanes: number;
  readonly seconds: number;
  /** Keep connections open between requests (default true); false: a new connection for each, as a browser's first visit. */
  readonly keepAlive?: boolean;
  /** The credentials ("user:password") of the n-th request, all lanes together; null stops the lane. */
  readonly credentials: (n: number) => string | null;
}

export interface LaneResult {
  /** Answers by HTTP status ("error" for a request that failed below HTTP). */
  readonly byStatus: Record<string, number>;
  /** Latencies of the 200 answers, in ms. */
  readonly okLatenciesMs: number[];
  /** Milliseconds from the start to the first 429, or null when none came. */
  readonly first429Ms: number | null;
  /** The first 429's Retry-After header, as sent. */
  readonly first429RetryAfter: string | null;
}

function once(agent: Agent, url: URL, credentials: string, localAddress: string): Promise<{ status: number | "error"; retryAfter: string | null }> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { agent, localAddress, headers: { Authorization: `Basic ${Buffer.from(credentials, "utf8").toString("base64")}` } },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, retryAfter: (res.headers["retry-after"] as string | undefined) ?? null }));
        res.on("error", () => resolve({ status: "error", retryAfter: null }));
      },
    );
    req.on("error", () => resolve({ status: "error", retryAfter: null }));
    req.end();
  });
}

export async function runLanes(options: LaneOptions): Promise<LaneResult> {
  const agent = new Agent({ keepAlive: options.keepAlive ?? true, maxSockets: options.lanes, localAddress: options.localAddress } as ConstructorParameters<typeof Agent>[0]);
  const url = new URL(options.url);
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const byStatus: Record<string, number> = {};
  const okLatenciesMs: number[] = [];
  let first429Ms: number | null = null;
  let first429RetryAfter: string | null = null;
  let n = 0;
  const lane = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const credentials = options.credentials(n++);
      if (credentials === null) return;
      const sent = performance.now();
      const { status, retryAfter } = await once(agent, url, credentials, options.localAddress);
      const now = performance.now();
      byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
      if (status === 200) okLatenciesMs.push(now - sent);
      if (status === 429 && first429Ms === null) {
        first429Ms = now - started;
        first429RetryAfter = retryAfter;
      }
    }
  };
  await Promise.all(Array.from({ length: options.lanes }, lane));
  agent.destroy();
  return { byStatus, okLatenciesMs, first429Ms, first429RetryAfter };
}

/** The p-th percentile (0..100) of `values`, nearest rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
