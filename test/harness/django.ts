// Real Django (Debian's python3-django) as an oracle: spawns scripts/django/oracle.py with
// /usr/bin/python3 and DJANGO_DB_URL, sends one JSON command per line and reads one JSON answer per line,
// in order. The typed helpers below mirror oracle.py's commands.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { HarnessError } from "./server-process.js";
import { trackProcess } from "./lifecycle.js";

export const DJANGO_PROJECT_DIR = fileURLToPath(new URL("../../scripts/django/", import.meta.url));
export const ORACLE_SCRIPT = `${DJANGO_PROJECT_DIR}oracle.py`;
/** Debian's Python, which has Django; the `python3` on PATH may not. */
export const DEBIAN_PYTHON = "/usr/bin/python3";

export interface DjangoOptions {
  /** DJANGO_DB_URL: postgres://..., mysql://..., sqlite:///abs/path */
  readonly databaseUrl: string;
  /** Use accounts.EmailUser (email as USERNAME_FIELD, no is_active). */
  readonly customUser?: boolean;
  /** DJANGO_PASSWORD_HASHERS: algorithm names, first preferred. */
  readonly hashers?: readonly string[];
  /** DJANGO_PBKDF2_ITERATIONS: cheap PBKDF2 for tests. */
  readonly pbkdf2Iterations?: number;
  /** Another oracle script speaking the same JSON lines (e.g. django-axes.ts's, which adds commands); default oracle.py. */
  readonly script?: string;
  /**
   * More environment for the oracle (e.g. the site's settings module): DJANGO_SECRET_KEY,
   * DJANGO_SECRET_KEY_FALLBACKS, DJANGO_SESSION_FILE_PATH, DJANGO_SESSION_COOKIE_NAME, DJANGO_SESSION_COOKIE_AGE,
   * DJANGO_DEFAULT_HASHING_ALGORITHM, DJANGO_AUTHENTICATION_BACKENDS (see scripts/django/settings.py).
   */
  readonly env?: Readonly<Record<string, string>>;
}

export interface CreateUserArgs {
  readonly username: string;
  /** null: an unusable password. */
  readonly password: string | null;
  readonly is_active?: boolean;
  readonly is_superuser?: boolean;
  /** Only for user models with an is_staff field (Django's own). */
  readonly is_staff?: boolean;
  readonly groups?: readonly string[];
  readonly permissions?: readonly string[];
  /** Hash with this algorithm instead of the preferred one. */
  readonly hasher?: string;
  /** Hash with this many PBKDF2 iterations (an "old" hash). */
  readonly iterations?: number;
  /** Store this encoded password verbatim. */
  readonly encoded?: string;
}

/** One user's stored password value as Django reads it (oracle.py audit_hashes). */
export interface AuditRow {
  readonly usable: boolean;
  /** identify_hasher's algorithm; null for an unusable value or when it raises. */
  readonly algorithm: string | null;
  /** verify_password's must_update; false when the hasher cannot read the value. */
  readonly must_update: boolean;
  /** decode()'s iterations, work_factor or time_cost; null when there is none or it cannot read the value. */
  readonly iterations: number | null;
}

/** django.contrib.sessions.backends.<engine>: the oracle's session commands take it per call. */
export type DjangoSessionEngine = "db" | "cached_db" | "signed_cookies" | "file";

export interface DjangoLoginOptions {
  /** Log in through this backend only (dotted path, e.g. AllowAllUsersModelBackend's); default: authenticate(). */
  readonly backend?: string;
  /** signed_cookies only: sign as if the clock said this many seconds since the epoch (an old or expired cookie). */
  readonly signedAt?: number;
}

export class DjangoOracleError extends HarnessError {
  readonly errorType: string;
  constructor(command: string, message: string, errorType: string) {
    super(`oracle ${command}: ${errorType}: ${message}`);
    this.errorType = errorType;
  }
}

type Answer = { ok: true; [key: string]: unknown } | { ok: false; error: string; error_type: string };

export class DjangoOracle {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #pending: Array<{ resolve: (answer: Answer) => void; reject: (error: Error) => void }> = [];
  #stderr = "";
  #exited = false;

  constructor(options: DjangoOptions) {
    const env: NodeJS.ProcessEnv = { ...process.env, DJANGO_DB_URL: options.databaseUrl, PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1" };
    delete env.PYTHONPATH;
    delete env.PYTHONHOME;
    if (options.customUser) env.DJANGO_CUSTOM_USER = "1";
    else delete env.DJANGO_CUSTOM_USER;
    if (options.hashers) env.DJANGO_PASSWORD_HASHERS = options.hashers.join(",");
    if (options.pbkdf2Iterations !== undefined) env.DJANGO_PBKDF2_ITERATIONS = String(options.pbkdf2Iterations);
    Object.assign(env, options.env);
    this.#child = spawn(DEBIAN_PYTHON, [options.script ?? ORACLE_SCRIPT], { env, cwd: DJANGO_PROJECT_DIR });
    // It would end at EOF on stdin once this process has gone, but not while a command is running.
    const untrack = trackProcess(this.#child.pid, { group: false });
    this.#child.stderr.on("data", (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-8000);
    });
    createInterface({ input: this.#child.stdout }).on("line", (line) => {
      const waiter = this.#pending.shift();
      if (!waiter) return;
      try {
        waiter.resolve(JSON.parse(line) as Answer);
      } catch (error) {
        waiter.reject(new HarnessError(`oracle wrote a line that is not JSON: ${line}`, { cause: error }));
      }
    });
    this.#child.once("exit", (code, signal) => {
      this.#exited = true;
      untrack();
      for (const waiter of this.#pending.splice(0)) {
        waiter.reject(new HarnessError(`oracle exited (${code ?? signal}):\n${this.#stderr}`));
      }
    });
  }

  /** Sends one command; resolves with its answer's fields, rejects with DjangoOracleError when ok is false. */
  async request<T = Record<string, unknown>>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    if (this.#exited) throw new HarnessError(`oracle has exited:\n${this.#stderr}`);
    const answer = await new Promise<Answer>((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      this.#child.stdin.write(`${JSON.stringify({ cmd, ...args })}\n`);
    });
    if (!answer.ok) throw new DjangoOracleError(cmd, answer.error, answer.error_type);
    return answer as unknown as T;
  }

  migrate(): Promise<unknown> {
    return this.request("migrate");
  }
  createUser(args: CreateUserArgs): Promise<{ id: number; username: string; encoded: string }> {
    return this.request("create_user", { ...args });
  }
  createGroup(name: string, permissions: readonly string[] = []): Promise<{ id: number }> {
    return this.request("create_group", { name, permissions });
  }
  createPermission(appLabel: string, model: string, codename: string): Promise<{ id: number }> {
    return this.request("create_permission", { app_label: appLabel, model, codename });
  }
  async setPassword(username: string, password: string | null, options: { hasher?: string; iterations?: number } = {}): Promise<string> {
    return (await this.request<{ encoded: string }>("set_password", { username, password, ...options })).encoded;
  }
  async setRawPassword(username: string, encoded: string): Promise<void> {
    await this.request("set_raw_password", { username, encoded });
  }
  async setActive(username: string, active: boolean): Promise<void> {
    await this.request("set_active", { username, active });
  }
  /** user.groups.remove(group) */
  async removeFromGroup(username: string, group: string): Promise<void> {
    await this.request("remove_from_group", { username, group });
  }
  /** user.user_permissions.remove(app_label.codename) */
  async removePermission(username: string, perm: string): Promise<void> {
    await this.request("remove_permission", { username, perm });
  }
  /** group.permissions.remove(app_label.codename) */
  async removeGroupPermission(group: string, perm: string): Promise<void> {
    await this.request("remove_group_permission", { group, perm });
  }
  async deleteUser(username: string): Promise<void> {
    await this.request("delete_user", { username });
  }
  async getPassword(username: string): Promise<string> {
    return (await this.request<{ encoded: string }>("get_password", { username })).encoded;
  }
  /** django.contrib.auth.handlers.modwsgi.check_password: true, false, or null (no such user / inactive). */
  async checkPassword(username: string, password: string): Promise<boolean | null> {
    return (await this.request<{ result: boolean | null }>("check_password", { username, password })).result;
  }
  /** django.contrib.auth.handlers.modwsgi.groups_for_user, names decoded from UTF-8. */
  async groupsForUser(username: string): Promise<string[]> {
    return (await this.request<{ groups: string[] }>("groups_for_user", { username })).groups;
  }
  /** User.has_perm (ModelBackend); false for an unknown user. */
  async hasPerm(username: string, perm: string): Promise<boolean> {
    return (await this.request<{ result: boolean }>("has_perm", { username, perm })).result;
  }
  async makePassword(password: string | null, options: { hasher?: string; iterations?: number } = {}): Promise<string> {
    return (await this.request<{ encoded: string }>("make_password", { password, ...options })).encoded;
  }
  async checkEncoded(password: string, encoded: string): Promise<boolean> {
    return (await this.request<{ result: boolean }>("check_encoded", { password, encoded })).result;
  }
  async mustUpdate(encoded: string): Promise<boolean> {
    return (await this.request<{ result: boolean }>("must_update", { encoded })).result;
  }
  /** Every user's stored value as Django reads it (is_password_usable, identify_hasher, must_update, decode()). */
  async auditHashes(): Promise<AuditRow[]> {
    return (await this.request<{ rows: AuditRow[] }>("audit_hashes")).rows;
  }
  seedDemo(): Promise<{ users: string[] }> {
    return this.request("seed_demo");
  }
  /**
   * Django's login: authenticate (the settings' backends in order, so AllowAllUsersModelBackend admits an inactive
   * user; or only the given backend's), auth.login on a fresh session of this engine, saved; resolves with the
   * cookie value Django would set. Rejects when Django refuses the password. The answer's `backend` (the path
   * stored in the session) is there through `request("login", ...)`.
   */
  async login(engine: DjangoSessionEngine, username: string, password: string, options: DjangoLoginOptions | string = {}): Promise<string> {
    const { backend, signedAt } = typeof options === "string" ? { backend: options, signedAt: undefined } : options;
    const args: Record<string, unknown> = { engine, username, password };
    if (backend !== undefined) args.backend = backend;
    if (signedAt !== undefined) args.signed_at = signedAt;
    return (await this.request<{ cookie: string }>("login", args)).cookie;
  }
  /** Django's logout on that session: flushed (db/cached_db row, file deleted; a signed cookie stays valid). */
  async logout(engine: DjangoSessionEngine, cookie: string): Promise<void> {
    await this.request("logout", { engine, cookie });
  }
  /** db, cached_db: expire_date in the past; file: mtime older than SESSION_COOKIE_AGE. signed_cookies rejects: use signedAt. */
  async expireSession(engine: DjangoSessionEngine, cookie: string): Promise<void> {
    await this.request("expire_session", { engine, cookie });
  }
  /**
   * Django's get_user on a request carrying that session: the username, or null (anonymous). A session whose
   * auth hash no longer matches is flushed as Django does, unless `keep`.
   */
  async sessionUser(engine: DjangoSessionEngine, cookie: string, options: { keep?: boolean } = {}): Promise<string | null> {
    return (await this.request<{ username: string | null }>("session_user", { engine, cookie, keep: options.keep ?? false })).username;
  }
  version(): Promise<{ django: string; engine: string; custom_user: string; hashers: string[]; pbkdf2_iterations: number }> {
    return this.request("version");
  }

  /** Closes stdin and waits for the oracle to exit. */
  async close(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.#child.once("exit", () => resolve()));
    this.#child.stdin.end();
    await exited;
  }
}

/** Starts an oracle; with `migrate`, runs Django's migrations first. */
export async function startDjango(options: DjangoOptions & { migrate?: boolean }): Promise<DjangoOracle> {
  const oracle = new DjangoOracle(options);
  if (options.migrate ?? true) await oracle.migrate();
  return oracle;
}
