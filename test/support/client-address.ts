// One HTTP request from a chosen loopback address (curl --interface 127.0.0.N), so that tests of per-address
// policies (the native throttle, django-axes, django-defender) can play several clients. Starts nothing that
// outlives the call.
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";

export interface AddressAnswer {
  readonly status: number;
  /** The Retry-After header's value, or null without one. */
  readonly retryAfter: string | null;
}

export interface BasicCredentials {
  readonly user: string;
  readonly password: string;
}

const run = promisify(execFile);

function curlArgs(url: string, address: string, credentials: BasicCredentials | null): string[] {
  const args = ["-s", "-o", "/dev/null", "-D", "-", "--interface", address, url];
  if (credentials !== null) args.push("-u", `${credentials.user}:${credentials.password}`);
  return args;
}

function answerOf(address: string, headers: string, detail: string): AddressAnswer {
  const status = /^HTTP\/[\d.]+ (\d{3})/m.exec(headers);
  if (status === null) throw new Error(`curl from ${address}: no status line (${detail})`);
  const retryAfter = /^retry-after: *(\S+)/im.exec(headers);
  return { status: Number(status[1]), retryAfter: retryAfter === null ? null : (retryAfter[1] as string) };
}

/** The request from `address`, with Basic credentials unless null. */
export async function requestFrom(url: string, address: string, credentials: BasicCredentials | null): Promise<AddressAnswer> {
  const { stdout, stderr } = await run("curl", curlArgs(url, address, credentials), { timeout: 120_000 });
  return answerOf(address, stdout, stderr);
}

/** The same, blocking (for tests that run their clients one after another in a loop). */
export function requestFromSync(url: string, address: string, credentials: BasicCredentials | null): AddressAnswer {
  const done = spawnSync("curl", curlArgs(url, address, credentials), { encoding: "utf8", timeout: 120_000 });
  return answerOf(address, done.stdout, `exit ${String(done.status)}: ${done.stderr}`);
}
