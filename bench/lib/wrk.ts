// Runs wrk (Debian's package) against one URL for a fixed time and parses what it prints.
// Per-request Authorization headers come from a Lua script that cycles through a list of credentials.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface WrkOptions {
  readonly url: string;
  readonly seconds: number;
  readonly connections: number;
  readonly threads?: number;
  /** Seconds before wrk gives up on one response (default 60). */
  readonly timeoutSeconds?: number;
  /** user:password pairs, sent round-robin as Basic credentials; none: no Authorization header. */
  readonly credentials?: readonly string[];
  /** Cookie header values, sent round-robin instead of credentials (a Django session cookie). */
  readonly cookies?: readonly string[];
}

export interface WrkResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  /** Responses other than 2xx/3xx, plus socket errors. */
  readonly errors: number;
  /** The same, by kind (connect, read, write, status, timeout), for the report when errors is not 0. */
  readonly errorKinds: string;
}

export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), "bench-wrk-"));
  const script = join(dir, "script.lua");
  writeFileSync(script, options.cookies ? luaScript("Cookie", options.cookies) : luaScript("Authorization", (options.credentials ?? []).map((c) => `Basic ${Buffer.from(c, "utf8").toString("base64")}`)));
  const args = [
    `-t${options.threads ?? 1}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    "--latency",
    // A first verification at 1,000,000 rounds, or the anchor under load, takes seconds: wrk's 2 s default
    // would count those as errors instead of measuring them.
    `--timeout`,
    `${options.timeoutSeconds ?? 60}s`,
    "-s",
    script,
    options.url,
  ];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}: ${text}`))));
  });
  return parseWrk(output);
}

/** A script sending header `name` with each of `values` in turn (none: no such header). */
function luaScript(name: "Authorization" | "Cookie", values: readonly string[]): string {
  const headers = values.map((value) => JSON.stringify(value));
  return `
local creds = { ${headers.join(", ")} }
local n = 0
request = function()
  if #creds == 0 then return wrk.format("GET") end
  n = n + 1
  return wrk.format("GET", nil, { ${name} = creds[(n % #creds) + 1] })
end
done = function(summary, latency, requests)
  io.write(string.format("BENCH p50_us=%d p99_us=%d requests=%d\\n", latency:percentile(50), latency:percentile(99), summary.requests))
  -- errors.status counts non-2xx/3xx responses, which wrk also prints on its own line: count them once, here.
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format("BENCH errors=%d\\n", errors))
  io.write(string.format("BENCH kinds=connect %d, read %d, write %d, status %d, timeout %d\\n", summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))
end
`;
}

export function parseWrk(output: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const latency = /BENCH p50_us=(\d+) p99_us=(\d+) requests=(\d+)/.exec(output);
  const errors = /BENCH errors=(\d+)/.exec(output);
  const kinds = /BENCH kinds=(.*)/.exec(output);
  if (!rps || !latency || !errors) throw new Error(`cannot read wrk output:\n${output}`);
  return {
    requestsPerSecond: Number(rps[1]),
    p50Ms: Number(latency[1]) / 1000,
    p99Ms: Number(latency[2]) / 1000,
    requests: Number(latency[3]),
    errors: Number(errors[1]),
    errorKinds: kinds?.[1] ?? "",
  };
}
