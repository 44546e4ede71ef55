// The built-in Django handler: answers as django.contrib.auth.handlers.modwsgi does on current Django,
// reading the user model's tables directly instead of running Python.
//
// - checkPassword: look the user up by USERNAME_FIELD with the database's own equality; an unknown or
//   inactive user is "not found" after hashing the password once with the preferred hasher (Django 6.1's
//   timing mitigation, so the answer time does not tell whether the user exists); otherwise Django's
//   check_password: unusable -> denied, right -> granted. With upgrade_hashes=on, a right password whose
//   hash Django would upgrade is rehashed and stored by compare-and-swap, so a concurrent change wins.
// - groupsForUser: the group names of an active user; [] for unknown or inactive users.
// - hasPermission / permissionsHeld: ModelBackend: inactive users have none, active superusers all, others
//   the union of their own and their groups' permissions as "app_label.codename".
// - checkPasswordAndAuthorize: the password check with what the location's Require lines will ask folded
//   in (groups, permissions), from the same read of the user (one worker trip per request).
// - checkSession: the session cookie's user as Django's get_user sees it (session-check.ts).
// - userFlags: is_staff and is_superuser of a user just granted (Require node-staff / node-superuser).
// - getRealmHash is absent on purpose: Django stores no HA1 (MD5 of user:realm:password), so Digest
//   authentication needs a script handler (docs/django.md).
// Every database failure rejects with a DatabaseError; it is never mistaken for "no such user".
import type {
  AuthorizationAsk,
  CheckContext,
  Handler,
  HandlerSpec,
  PasswordAndAuthorization,
  PasswordVerdict,
  SessionContext,
  SessionVerdict,
  UserFlags,
  HandlerStatus,
} from "../handlers/types.js";
import { FairHashQueue, type HashLimiter } from "../brute-force/fair-hash-queue.js";
import { createLogger, type WorkerLogId } from "../log.js";
import { VerifiedCredentialCache } from "../cache/verified-credentials.js";
import { HasherOptionError, makePassword, resolveOptions, verifyPassword, type HasherOptions } from "./hashers/index.js";
import { hasherOptionsFrom, parseDjangoSpec, DEFAULT_CHANGE_FEED_POLL_MS, DEFAULT_DJANGO_VERSION, DEFAULT_POOL_SIZE, DEFAULT_QUERY_TIMEOUT_MS, MAX_POOL_SIZE } from "./config.js";
import { parseDatabaseUrl, type DatabaseLocation } from "./database-url.js";
import { LoggedDatabase } from "./database/logged.js";
import { openDatabase, truthy, type Database, type Row, type SqlValue } from "./database/index.js";
import { DjangoConfigError, UserRowError } from "../errors.js";
import { buildStatements, type Statements } from "./queries.js";
import { LookupBatcher } from "./lookup-batcher.js";
import { RowCache } from "./row-cache.js";
import { resolveMapping, type UserModelMapping } from "./user-model.js";
import { AxesPolicy } from "./axes.js";
import { AXES_OFF, type AxesSettings } from "./axes-settings.js";
import { sessionSettings, type SessionOptions } from "./session-options.js";
import { versionRules, type SessionSettings } from "./session/index.js";
import { SessionCheck } from "./session-check.js";
import type { LockoutPolicy } from "../brute-force/types.js";
import { DefenderPolicy } from "../brute-force/defender.js";
import type { DefenderSettings } from "../brute-force/defender-settings.js";
import type { ChangeMark, ChangeTracker } from "../cache/change-tracker.js";
import type { GenerationStamp } from "../cache/generations-table.js";
import { startTrackedFeed, type TrackedFeed } from "./change-feed/tracked-feed.js";

export type DjangoLogLevel = "warn" | "info" | "debug";

export interface DjangoHandlerOptions {
  /** A database URL or an already parsed location. */
  readonly database: string | DatabaseLocation;
  /** Overrides of Django's auth_user schema (custom user models). */
  readonly mapping?: Partial<UserModelMapping>;
  /** PASSWORD_HASHERS and their parameters; default: djangoDefaults of config.ts's DEFAULT_DJANGO_VERSION. */
  readonly hasherOptions?: HasherOptions;
  /** Store upgraded hashes as Django's login does (needs UPDATE on the user table). Default false. */
  readonly upgradeHashes?: boolean;
  /** Most database connections (default 4, at most 64). */
  readonly poolSize?: number;
  /** Cache user rows this long (default 0: every check reads the database). */
  readonly rowCacheSeconds?: number;
  /** Deadline of each connection attempt and query (default 5000 ms). */
  readonly queryTimeoutMs?: number;
  /** Remembers verified (hash, password) pairs; null turns it off. Default: one per handler. */
  readonly credentialCache?: VerifiedCredentialCache | null;
  /**
   * Bounds concurrent hashing, fairly across client addresses; share one across handlers to bound the
   * worker. Default: one per handler.
   */
  readonly hashLimiter?: HashLimiter;
  /** Where events go (the worker's logger); no password ever reaches it. */
  readonly log?: (level: DjangoLogLevel, id: WorkerLogId, message: string) => void;
  /** django-defender's lockouts in the site's Redis; null or absent: none. */
  readonly defender?: DefenderSettings | null;
  /** django-axes' lockouts from the same database (default: off). Record mode needs writes (SQLite opens read-write). */
  readonly axes?: AxesSettings;
  /** Login sessions (session-options.ts); absent: the handler checks no session (checkSession answers ERROR). */
  readonly session?: SessionOptions;
  /** The django_version option (default: config.ts's DEFAULT_DJANGO_VERSION). */
  readonly djangoVersion?: string;
  /** The bootstrap's file secrets by path (secret_key_file's content); null: no bootstrap, no sessions. */
  readonly secretFiles?: ReadonlyMap<string, string> | null;
  /** change_feed: subscribe to the database's change feed and give stamped grants. Default false. */
  readonly changeFeed?: boolean;
  /** change_feed_poll_ms (MySQL, SQLite). Default config.ts's DEFAULT_CHANGE_FEED_POLL_MS. */
  readonly changeFeedPollMs?: number;
  /**
   * The worker's change tracker (its generations table, --generations-fd); null: the worker has none, and
   * change_feed on refuses to start. Absent: the spec is only being checked (check-specs, configtest), so
   * nothing is started and no grant is stamped.
   */
  readonly changeTracker?: ChangeTracker | null;
}

/** What the handler needs of one user row. */
interface UserRow {
  readonly id: SqlValue;
  readonly password: string;
  readonly active: boolean;
  readonly superuser: boolean;
}

/** A password check's verdict, the user row it read, and the user's groups when they were read too. */
interface CheckedUser {
  readonly verdict: PasswordVerdict;
  readonly user: UserRow | null;
  readonly groups?: readonly string[];
}

/** Most distinct names in one batched lookup statement. */
const LOOKUP_BATCH_MAX = 64;

export class DjangoHandler implements Handler {
  readonly mapping: UserModelMapping;
  readonly upgradeHashes: boolean;
  readonly #database: Database;
  readonly #statements: Statements;
  readonly #hasherOptions: HasherOptions;
  readonly #credentialCache: VerifiedCredentialCache | null;
  readonly #hashLimiter: HashLimiter;
  readonly #rows: RowCache<UserRow | null>;
  /** Concurrent checks share one statement (PostgreSQL); null: one statement per check. */
  readonly #userLookup: LookupBatcher | null;
  readonly #userWithGroupsLookup: LookupBatcher | null;
  /** The catalog's answer for #exactNameColumn, read once; null until asked, or after it failed. */
  #exactName: Promise<boolean> | null = null;
  readonly #log: (level: DjangoLogLevel, id: WorkerLogId, message: string) => void;
  readonly #sessions: SessionCheck;
  /** The site's lockouts this handler's options name (src/brute-force/types.ts); the worker asks them before any hashing. */
  readonly lockoutPolicies: readonly LockoutPolicy[];
  /** The tracker stamping this handler's grants (change_feed on, in a worker), else null. */
  readonly #tracker: ChangeTracker | null;
  readonly #feed: TrackedFeed | null;

  constructor(options: DjangoHandlerOptions) {
    const location = typeof options.database === "string" ? parseDatabaseUrl(options.database) : options.database;
    const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
    if (!Number.isSafeInteger(poolSize) || poolSize < 1 || poolSize > MAX_POOL_SIZE) {
      throw new DjangoConfigError("pool_size", `expected an integer from 1 to ${MAX_POOL_SIZE}, got ${poolSize}`);
    }
    this.mapping = resolveMapping(options.mapping);
    this.upgradeHashes = options.upgradeHashes ?? false;
    const axes = options.axes ?? AXES_OFF;
    this.#hasherOptions = checkedHasherOptions(options.hasherOptions ?? hasherOptionsFrom(undefined, undefined));
    this.#credentialCache = options.credentialCache === undefined ? new VerifiedCredentialCache() : options.credentialCache;
    this.#hashLimiter = options.hashLimiter ?? new FairHashQueue();
    this.#rows = new RowCache((options.rowCacheSeconds ?? 0) * 1000);
    this.#log = options.log ?? (() => {});
    // Checked now, so a bad secret or version pairing fails the spec (and configtest), not every check.
    const session = checkedSessionSettings(options);
    const queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    this.lockoutPolicies = [
      ...(options.defender ? [new DefenderPolicy(options.defender, { log: (level, id, message) => this.#log(level, id, message), commandTimeoutMs: queryTimeoutMs })] : []),
    ];
    this.#database = new LoggedDatabase(
      openDatabase(
        location,
        { poolSize, queryTimeoutMs: options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS, readOnly: !this.upgradeHashes && axes.mode !== "record" },
        (error) => this.#log("warn", "ANP0640", `django handler: idle database connection failed (${this.#database.description}): ${error.message}`),
      ),
      (message) => this.#log("warn", "ANP0641", message),
    );
    this.#statements = buildStatements(this.#database.dialect, this.mapping);
    // django-axes reads (and in record mode writes) the site's table through the handler's own database.
    if (axes.mode !== "off") this.lockoutPolicies = [...this.lockoutPolicies, new AxesPolicy({ database: this.#database, settings: axes })];
    this.#sessions = new SessionCheck({
      database: this.#database,
      statements: this.#statements,
      mapping: this.mapping,
      settings: session,
      useTz: options.session?.useTz ?? true,
      timeZone: options.session?.timeZone ?? null,
    });
    this.#userLookup = this.#batcher(this.#statements.userByNames, this.#statements.userByName, poolSize);
    this.#userWithGroupsLookup = this.#batcher(this.#statements.userWithGroupsByNames, this.#statements.userWithGroupsByName, poolSize);
    this.#tracker = changeTrackerOf(options);
    this.#feed =
      this.#tracker === null
        ? null
        : startTrackedFeed(location, this.#database.description, this.#tracker, options.changeFeedPollMs ?? DEFAULT_CHANGE_FEED_POLL_MS, (level, id, message) => this.#log(level, id, message));
  }

  /** A grant with its user's stamp when the tracker allows one (nothing it depends on moved since `mark`). */
  #stamped(verdict: PasswordVerdict, user: UserRow | null, mark: ChangeMark | undefined): PasswordVerdict {
    if (verdict.kind !== "granted" || user === null || mark === undefined || this.#tracker === null) return verdict;
    const stamp = this.#tracker.stamp(mark, String(user.id));
    return stamp === null ? verdict : { ...verdict, stamps: [stamp] };
  }

  /** Statements sent for many checks at once so far, and the names they carried (tests, diagnostics). */
  get batchStats(): { readonly statements: number; readonly names: number } {
    const a = this.#userLookup?.stats ?? { statements: 0, names: 0 };
    const b = this.#userWithGroupsLookup?.stats ?? { statements: 0, names: 0 };
    return { statements: a.statements + b.statements, names: a.names + b.names };
  }

  /**
   * Whether the USERNAME_FIELD column compares as exact strings (varchar or text under a deterministic
   * collation): only then can a batched lookup hand rows to names by exact equality. Both batchers ask;
   * the catalog is read once for them (again only after a failure).
   */
  #exactNameColumn(): Promise<boolean> {
    this.#exactName ??= this.#readExactNameColumn().catch((error: unknown) => {
      this.#exactName = null;
      throw error;
    });
    return this.#exactName;
  }

  async #readExactNameColumn(): Promise<boolean> {
    const sql = this.#statements.usernameColumnType;
    if (sql === null) return false;
    const rows = await this.#database.query(sql, [this.#database.dialect.quote(this.mapping.userTable), this.mapping.usernameColumn]);
    const column = rows[0];
    const exact = column !== undefined && (column.type_name === "varchar" || column.type_name === "text") && truthy(column.deterministic);
    if (!exact) this.#log("info", "ANP0642", `django handler: ${this.mapping.userTable}.${this.mapping.usernameColumn} does not compare as exact text; one query per check`);
    return exact;
  }

  #batcher(manySql: string | null, oneSql: string, poolSize: number): LookupBatcher | null {
    if (manySql === null) return null;
    return new LookupBatcher({
      fetchMany: (names) => this.#database.query(manySql, [names]),
      fetchOne: (name) => this.#database.query(oneSql, [name]),
      keyColumn: "lookup_key",
      exactMatching: () => this.#exactNameColumn(),
      maxBatch: LOOKUP_BATCH_MAX,
      // Two statements in flight: one runs while the next fills; the rest of the pool stays free for
      // permissions, groups and hash upgrades.
      maxConcurrent: Math.min(2, poolSize),
    });
  }

  /** Where the handler reads users from, password masked. */
  get description(): string {
    return this.#database.description;
  }

  /**
   * Django sees the password as a str and hashes its UTF-8 encoding, so the decoded `password` is what is
   * checked; the raw bytes are not needed.
   */
  async checkPassword(ctx: CheckContext, password: string, _passwordBytes?: Buffer): Promise<PasswordVerdict> {
    // Before the read: the lookup batcher answers only with statements sent after the lookup was asked.
    const mark = this.#tracker?.mark();
    const user = await this.#findUser(ctx.user);
    return this.#stamped(await this.#checkUser(ctx, user, password), user, mark);
  }

  /** Django's modwsgi.check_password on a user row already read (null: no such user). */
  async #checkUser(ctx: CheckContext, user: UserRow | null, password: string): Promise<PasswordVerdict> {
    if (user === null || !user.active) {
      // Hash anyway, so an unknown user costs what a known one does.
      await this.#hashLimiter.run(() => makePassword(password, this.#hasherOptions), ctx.signal, ctx.client?.ip);
      return { kind: "not_found" };
    }
    const { valid, mustUpdate } = await this.#verify(password, user.password, ctx);
    if (!valid) return { kind: "denied" };
    if (mustUpdate && this.upgradeHashes) await this.#upgrade(ctx, user, password);
    return { kind: "granted" };
  }

  /**
   * checkPassword and, when it grants, what `ask` wants of the same user: the user's groups from the same
   * query as the user row (the row joined with its groups), and the held subset of the asked permissions
   * from one more query unless the user is a superuser. One user read and one groups or permissions query.
   */
  async checkPasswordAndAuthorize(
    ctx: CheckContext,
    password: string,
    _passwordBytes: Buffer,
    ask: AuthorizationAsk,
  ): Promise<PasswordAndAuthorization> {
    const mark = this.#tracker?.mark();
    const { verdict, user, groups } = ask.groups ? await this.#checkWithGroups(ctx, password) : await this.#checkAlone(ctx, password);
    if (verdict.kind !== "granted" || user === null) return { verdict };
    const permissions = ask.permissions.length > 0 ? await this.#heldBy(user, ask.permissions) : undefined;
    return { verdict: this.#stamped(verdict, user, mark), ...(groups !== undefined && { groups }), ...(permissions !== undefined && { permissions }) };
  }

  async #checkAlone(ctx: CheckContext, password: string): Promise<CheckedUser> {
    const user = await this.#findUser(ctx.user);
    return { verdict: await this.#checkUser(ctx, user, password), user };
  }

  /**
   * The password check and the user's groups from one query (the user row joined with its groups). With
   * row_cache_seconds the user row may come from the cache, so the groups are read on their own.
   */
  async #checkWithGroups(ctx: CheckContext, password: string): Promise<CheckedUser> {
    if (this.#rows.ttlMs > 0) {
      const checked = await this.#checkAlone(ctx, password);
      return checked.verdict.kind === "granted" ? { ...checked, groups: await this.groupsForUser(ctx) } : checked;
    }
    const rows =
      this.#userWithGroupsLookup !== null
        ? await this.#userWithGroupsLookup.load(ctx.user)
        : await this.#database.query(this.#statements.userWithGroupsByName, [ctx.user]);
    const first = rows[0];
    if (rows.some((row) => String(row.user_id) !== String(first?.user_id))) throw this.#ambiguous();
    const user = first === undefined ? null : this.#userFrom(first);
    const verdict = await this.#checkUser(ctx, user, password);
    if (verdict.kind !== "granted") return { verdict, user };
    return { verdict, user, groups: rows.filter((row) => row.name !== null && row.name !== undefined).map((row) => String(row.name)) };
  }

  /** One round trip (Django makes two): the user row joined with its groups, always read fresh. */
  async groupsForUser(ctx: CheckContext): Promise<readonly string[]> {
    const rows = await this.#database.query(this.#statements.groupsByName, [ctx.user]);
    const first = rows[0];
    if (first === undefined) return [];
    if (rows.some((row) => String(row.user_id) !== String(first.user_id))) throw this.#ambiguous();
    if (this.mapping.isActiveColumn !== null && !truthy(first.is_active)) return [];
    return rows.filter((row) => row.name !== null && row.name !== undefined).map((row) => String(row.name));
  }

  /** Whether the user holds at least one of `permissions`; none asked for is none held, even for a superuser. */
  async hasPermission(ctx: CheckContext, permissions: readonly string[]): Promise<boolean> {
    return (await this.permissionsHeld(ctx, permissions)).length > 0;
  }

  /** The names of `permissions` the user holds (ModelBackend's has_perm for each), each once. */
  async permissionsHeld(ctx: CheckContext, permissions: readonly string[]): Promise<readonly string[]> {
    if (permissions.length === 0) return [];
    const user = await this.#findUser(ctx.user);
    return user === null ? [] : this.#heldBy(user, permissions);
  }

  async #heldBy(user: UserRow, permissions: readonly string[]): Promise<string[]> {
    const wanted = [...new Set(permissions)];
    if (wanted.length === 0 || !user.active) return [];
    if (user.superuser) return wanted;
    const rows = await this.#database.query(this.#statements.permissions, [user.id, user.id]);
    const held = new Set(rows.map((row) => `${String(row.app_label)}.${String(row.codename)}`));
    return wanted.filter((permission) => held.has(permission));
  }

  /**
   * The session's user as Django's get_user sees it (session-check.ts): two indexed reads at most (the
   * session row, the user row by primary key), never the row cache, never batched (a key read is one
   * row by primary key; PostgreSQL's batching is for the password path's name lookups).
   */
  async checkSession(sessionKey: string, _ctx: SessionContext): Promise<SessionVerdict> {
    const mark = this.#tracker?.mark();
    const { verdict, basis } = await this.#sessions.inspect(sessionKey);
    if (verdict.kind !== "granted" || basis === null || mark === undefined || this.#tracker === null) return verdict;
    // The session row's slot and its user's: a logout, an expiry moved, a password or flag changed, all move one.
    const keys = basis.sessionKey === null ? [basis.userKey] : [basis.sessionKey, basis.userKey];
    const stamps = keys.map((key) => this.#tracker?.stamp(mark, key) ?? null);
    if (stamps.some((stamp) => stamp === null)) return verdict;
    return { ...verdict, stamps: stamps as GenerationStamp[], validForMs: basis.validForMs };
  }

  /**
   * is_staff and is_superuser of ctx.user, read fresh by USERNAME_FIELD (one indexed read): the password
   * path's own read does not carry is_staff, so that custom user models without it keep working for Basic.
   */
  async userFlags(ctx: CheckContext): Promise<UserFlags | null> {
    const rows = await this.#database.query(this.#statements.flagsByName, [ctx.user]);
    if (rows.length > 1) throw this.#ambiguous();
    const row = rows[0];
    if (row === undefined) return null;
    return { isStaff: truthy(row.is_staff), isSuperuser: truthy(row.is_superuser) };
  }

  status(): HandlerStatus {
    const rows = this.#rows;
    const credentials = this.#credentialCache;
    const pool = this.#database.poolStats?.();
    return {
      rowCache: { size: rows.size, hits: rows.hits, misses: rows.misses },
      ...(credentials === null ? {} : { verifiedCache: { size: credentials.size, hits: credentials.hits, misses: credentials.misses } }),
      ...(pool === undefined ? {} : { pool: { ...pool } }),
    };
  }

  async close(): Promise<void> {
    this.#rows.clear();
    await this.#feed?.close();
    await Promise.all(this.lockoutPolicies.map((policy) => policy.close?.()));
    await this.#database.close();
  }

  async #findUser(username: string): Promise<UserRow | null> {
    const cached = this.#rows.get(username);
    if (cached !== undefined) return cached.value;
    const rows =
      this.#userLookup !== null ? await this.#userLookup.load(username) : await this.#database.query(this.#statements.userByName, [username]);
    if (rows.length > 1) throw this.#ambiguous();
    const row = rows[0];
    const user = row === undefined ? null : this.#userFrom(row);
    this.#rows.set(username, user);
    return user;
  }

  #userFrom(row: Row): UserRow {
    if (typeof row.password !== "string") {
      throw new UserRowError(`${this.mapping.userTable}.${this.mapping.passwordColumn} is not text for this user`);
    }
    return {
      id: row.user_id as SqlValue,
      password: row.password,
      active: this.mapping.isActiveColumn === null ? true : truthy(row.is_active),
      superuser: this.mapping.isSuperuserColumn === null ? false : truthy(row.is_superuser),
    };
  }

  /** Django's get_by_natural_key raises MultipleObjectsReturned here: an error, never a pick. */
  #ambiguous(): UserRowError {
    return new UserRowError(`${this.mapping.userTable}.${this.mapping.usernameColumn} matches more than one row for this user`);
  }

  /** Django's verify_password, skipping the hasher for a (hash, password) pair that verified before. */
  /** `ctx.signal` is read only when the hasher runs: the worker makes a request's AbortSignal on first read. */
  async #verify(password: string, encoded: string, ctx: CheckContext): Promise<{ valid: boolean; mustUpdate: boolean }> {
    if (this.#credentialCache === null) {
      return this.#hashLimiter.run(() => verifyPassword(password, encoded, this.#hasherOptions), ctx.signal, ctx.client?.ip);
    }
    const key = Buffer.from(password, "utf8");
    try {
      const hit = this.#credentialCache.lookup(encoded, key);
      if (hit !== undefined) return { valid: true, mustUpdate: hit.mustUpdate };
      const verdict = await this.#hashLimiter.run(() => verifyPassword(password, encoded, this.#hasherOptions), ctx.signal, ctx.client?.ip);
      if (verdict.valid) this.#credentialCache.remember(encoded, key, verdict.mustUpdate);
      return verdict;
    } finally {
      key.fill(0);
    }
  }

  /** Django's setter: rehash with the preferred hasher and store it unless the password changed meanwhile. */
  async #upgrade(ctx: CheckContext, user: UserRow, password: string): Promise<void> {
    const encoded = await this.#hashLimiter.run(() => makePassword(password, this.#hasherOptions), ctx.signal, ctx.client?.ip);
    const changed = await this.#database.execute(this.#statements.upgradePassword, [encoded, user.id, user.password]);
    this.#rows.delete(ctx.user);
    if (changed === 1) this.#log("info", "ANP0643", `django handler: upgraded the password hash of user id ${String(user.id)}`);
    else this.#log("warn", "ANP0646", `django handler: password of user id ${String(user.id)} changed during the check; hash upgrade skipped`);
  }
}

/**
 * The handler for a `type=django` spec (src/handlers/registry.ts calls this). Without a `log`, warnings
 * (idle connections that broke, skipped hash upgrades) go to stderr in the worker's one-line format.
 */
export function createDjangoHandler(spec: HandlerSpec, services: Pick<DjangoHandlerOptions, "credentialCache" | "hashLimiter" | "log" | "secretFiles" | "changeTracker"> = {}): DjangoHandler {
  const { verifiedCache, ...settings } = parseDjangoSpec(spec);
  const log = services.log ?? defaultLog();
  // verified_cache=off (for measuring first verifications, or for the wary) overrides the worker's shared cache.
  return new DjangoHandler({ ...settings, ...services, ...(verifiedCache ? {} : { credentialCache: null }), log });
}

/**
 * The tracker for change_feed on: refused with row_cache_seconds (a cached row is not what a stamp says was
 * read) and in a worker without a generations table; none when the spec is only checked or the option is off.
 */
function changeTrackerOf(options: DjangoHandlerOptions): ChangeTracker | null {
  if (options.changeFeed !== true) return null;
  if ((options.rowCacheSeconds ?? 0) > 0) {
    throw new DjangoConfigError("change_feed", "cannot be on with row_cache_seconds above 0 (a cached user row is not what a stamped grant says was read)");
  }
  if (options.changeTracker === null) {
    throw new DjangoConfigError("change_feed", "needs the generations table httpd's module gives the worker (--generations-fd); this worker has none");
  }
  return options.changeTracker ?? null;
}

/** The session settings, checked now (a bad secret or version pairing fails the spec, not every check). */
function checkedSessionSettings(options: DjangoHandlerOptions): SessionSettings | string {
  if (options.session === undefined) return "this handler has no session options";
  const settings = sessionSettings(options.session, options.djangoVersion ?? DEFAULT_DJANGO_VERSION, options.secretFiles ?? null);
  if (typeof settings !== "string") versionRules(settings);
  return settings;
}

function defaultLog(): (level: DjangoLogLevel, id: WorkerLogId, message: string) => void {
  const logger = createLogger("warn");
  return (level, id, message) => logger[level](id, message);
}

/** Validates the hasher settings now, so a bad `hashers` list fails the spec instead of every check. */
function checkedHasherOptions(options: HasherOptions): HasherOptions {
  try {
    return resolveOptions(options);
  } catch (error) {
    if (error instanceof HasherOptionError) {
      throw new DjangoConfigError(error.option === "hashers" ? "hashers" : `hasherOptions.${error.option}`, error.message, { cause: error });
    }
    throw error;
  }
}
