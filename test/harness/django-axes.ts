// A Django 3.2 site with django-axes 5.39 (Debian's python3-django-axes) installed as its documentation says
// (the app, AxesBackend first, AxesMiddleware), migrated on the database the test gives: the oracle of
// test/fixtures/axes-site/axes_oracle.py, which is scripts/django/oracle.py plus axes' own view of a client
// (authenticate() from an address, is_locked, the AccessAttempt rows).
import { fileURLToPath } from "node:url";
import { DjangoOracle, type DjangoOptions } from "./django.js";

export const AXES_ORACLE_SCRIPT = fileURLToPath(new URL("../fixtures/axes-site/axes_oracle.py", import.meta.url));

/** The site's AXES_* settings, as Python values (a number with a fraction is a float: hours, as axes reads it). */
export type AxesSiteSettings = Readonly<Record<`AXES_${string}`, string | number | boolean | null | readonly string[]>>;

export interface AxesClient {
  readonly ip: string;
  /** null: the request has no User-Agent header (axes writes "<unknown>"). */
  readonly userAgent?: string | null;
  readonly accept?: string | null;
  readonly path?: string;
}

export interface AxesAttemptRow {
  readonly username: string | null;
  readonly ip_address: string | null;
  readonly user_agent: string;
  readonly http_accept: string;
  readonly path_info: string;
  readonly get_data: string;
  readonly post_data: string;
  readonly failures_since_start: number;
  readonly attempt_time: string;
}

export class AxesSite {
  readonly oracle: DjangoOracle;

  constructor(oracle: DjangoOracle) {
    this.oracle = oracle;
  }

  /** django.contrib.auth.authenticate() for a request from `client`, as the site's login view calls it. */
  async login(username: string, password: string, client: AxesClient): Promise<{ granted: boolean; locked_out: boolean }> {
    const { granted, locked_out } = await this.oracle.request<{ granted: boolean; locked_out: boolean }>("login", { username, password, ...requestArgs(client) });
    return { granted, locked_out };
  }

  /** AxesProxyHandler.is_locked: what AxesBackend asks before letting a login go on. */
  async isLocked(username: string, client: AxesClient): Promise<boolean> {
    return (await this.oracle.request<{ locked: boolean }>("is_locked", { username, ...requestArgs(client) })).locked;
  }

  /** AxesProxyHandler.is_allowed: the allow and deny lists, then is_locked. */
  async isAllowed(username: string, client: AxesClient): Promise<boolean> {
    return (await this.oracle.request<{ allowed: boolean }>("is_allowed", { username, ...requestArgs(client) })).allowed;
  }

  async attempts(): Promise<AxesAttemptRow[]> {
    return (await this.oracle.request<{ rows: AxesAttemptRow[] }>("attempts")).rows;
  }

  /** How many AccessLog rows (axes writes one per successful login to the site). */
  async accessLogs(): Promise<number> {
    return (await this.oracle.request<{ count: number }>("access_logs")).count;
  }

  /** manage.py axes_reset: every AccessAttempt row deleted. */
  async reset(): Promise<number> {
    return (await this.oracle.request<{ count: number }>("axes_reset")).count;
  }

  close(): Promise<void> {
    return this.oracle.close();
  }
}

function requestArgs(client: AxesClient): Record<string, unknown> {
  return { ip: client.ip, user_agent: client.userAgent ?? null, accept: client.accept ?? null, path: client.path ?? null };
}

/** Starts the axes site's oracle with `axes` as its AXES_* settings; with `migrate` (default), runs every migration, axes' too. */
export async function startAxesSite(options: DjangoOptions & { axes: AxesSiteSettings; migrate?: boolean }): Promise<AxesSite> {
  const oracle = new DjangoOracle({
    ...options,
    script: AXES_ORACLE_SCRIPT,
    env: { ...options.env, AXES_SETTINGS_JSON: JSON.stringify(options.axes) },
  });
  const site = new AxesSite(oracle);
  try {
    if (options.migrate ?? true) await oracle.migrate();
  } catch (error) {
    await oracle.close();
    throw error;
  }
  return site;
}
