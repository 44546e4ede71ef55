// Test harness for the worker: compiles src/ into a private package directory, spawns
// `node dist/worker.js` on a socket in a fresh 0700 directory, and speaks the protocol to it as the
// module does (Client). Used by the integration tests that start a worker.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { FrameDecoder, encodeFrame } from "../../src/protocol/codec.js";
import { ANSWER_BIT, Kind, PROTOCOL_VERSION, Status, Tag } from "../../src/protocol/constants.js";
import { bytesField, defineHandlerField, fieldsOf, firstField, textField, textOf, u16Field, u32Field, u8Of } from "../../src/protocol/fields.js";
import { freshNonce, moduleProof } from "../../src/worker/handshake.js";
import type { Field, Message } from "../../src/protocol/message.js";
import { trackDirectory, trackProcess } from "./lifecycle.js";
import { WORKER_LISTENING } from "../support/error-log.js";

export const REPO = resolve(import.meta.dirname, "../..");
export const FIXTURES = join(REPO, "test/fixtures/handlers");

/**
 * Compiles src/ into `pkg/dist` with its own package.json, a link to the repository's node_modules and
 * a copy of the native addon, so these tests never race another test that rebuilds dist/ or build/.
 */
export function buildPackage(pkg: string, entry = "worker.js"): string {
  mkdirSync(pkg);
  copyFileSync(join(REPO, "package.json"), join(pkg, "package.json"));
  symlinkSync(join(REPO, "node_modules"), join(pkg, "node_modules"));
  const addon = join(REPO, "build/Release/anp_addon.node");
  const privateAddon = join(pkg, "build/Release/anp_addon.node");
  mkdirSync(join(pkg, "build/Release"), { recursive: true });
  if (existsSync(addon)) copyFileSync(addon, privateAddon);
  else spawnSync(process.execPath, [join(REPO, "node_modules/cmake-js/bin/cmake-js"), "compile", "--out", join(pkg, "build")], { cwd: REPO, stdio: "ignore" });
  if (!existsSync(privateAddon)) throw new Error("native addon could not be built (npm run build:native)");
  const tsc = spawnSync(process.execPath, [join(REPO, "node_modules/typescript/bin/tsc"), "-p", join(REPO, "tsconfig.json"), "--outDir", join(pkg, "dist")], {
    encoding: "utf8",
  });
  // tsc exits non-zero when any part of the tree has a type error, and still emits; what matters is the entry.
  const js = join(pkg, "dist", entry);
  if (!existsSync(js)) throw new Error(`${entry} not built:\n${tsc.stdout}\n${tsc.stderr}`);
  return js;
}

export class WorkerProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];

  constructor(
    readonly child: ChildProcess,
    readonly socketPath: string,
  ) {
    let partial = "";
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      partial += chunk;
      const parts = partial.split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) {
        this.lines.push(line);
        for (const waiter of [...this.#waiters]) {
          if (waiter.pattern.test(line)) {
            this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      }
    });
    // A run killed mid-test must not leave a worker behind: the lifecycle registry ends it if we end first.
    const untrack = trackProcess(child.pid, { group: false });
    this.exited = new Promise((resolveExit) =>
      child.once("exit", (code, signal) => {
        untrack();
        resolveExit({ code, signal });
      }),
    );
  }

  /** Resolves with the first stderr line matching `pattern` (already seen or still to come). */
  waitForLine(pattern: RegExp): Promise<string> {
    const seen = this.lines.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolveLine) => this.#waiters.push({ pattern, resolve: resolveLine }));
  }

  get log(): string {
    return this.lines.join("\n");
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    await this.exited;
  }
}

export class WorkerHarness {
  readonly #running: WorkerProcess[] = [];
  #dirCount = 0;

  private constructor(
    /** A 0755 scratch directory, removed by cleanup(). */
    readonly scratch: string,
    readonly workerJs: string,
    private readonly untrackScratch: () => void,
  ) {}

  static create(): WorkerHarness {
    const scratch = mkdtempSync(join(tmpdir(), "anp-worker-it-"));
    // Tracked at once, so a run killed while the worker compiles still has its scratch removed.
    const untrack = trackDirectory(scratch);
    chmodSync(scratch, 0o755); // other uids (the peer test's nobody) must reach directories inside
    return new WorkerHarness(scratch, buildPackage(join(scratch, "pkg")), untrack);
  }

  /** A fresh socket directory owned by us, mode 0700 by default, as the module creates it. */
  socketDir(mode = 0o700): string {
    const dir = join(this.scratch, `s${this.#dirCount++}`);
    mkdirSync(dir, { mode });
    chmodSync(dir, mode);
    return dir;
  }

  /**
   * Spawns a worker on `socketPath`. Started by hand, it runs with --no-bootstrap unless `args` name a
   * --bootstrap-fd; `extraFds` are pipes given to the child as fds 3, 4, ... (child.stdio[3], ...), e.g. for
   * a bootstrap the test writes itself.
   */
  spawnWorker(args: string[], socketPath = join(this.socketDir(), "worker.sock"), extraFds = 0): WorkerProcess {
    const bootstrap = args.some((a) => a === "--bootstrap-fd" || a.startsWith("--bootstrap-fd=")) ? [] : ["--no-bootstrap"];
    const stdio: ("ignore" | "pipe")[] = ["ignore", "pipe", "pipe", ...Array<"pipe">(extraFds).fill("pipe")];
    const child = spawn(process.execPath, [this.workerJs, "--socket", socketPath, ...bootstrap, ...args], { stdio });
    const worker = new WorkerProcess(child, socketPath);
    this.#running.push(worker);
    return worker;
  }

  /** Spawns a worker and resolves once it logs "listening on"; rejects with its log if it exits first. */
  async startWorker(args: string[] = [], socketPath?: string, extraFds = 0): Promise<WorkerProcess> {
    const worker = this.spawnWorker(args, socketPath, extraFds);
    const ready = await Promise.race([worker.waitForLine(WORKER_LISTENING), worker.exited]);
    if (typeof ready !== "string") throw new Error(`worker exited (${JSON.stringify(ready)}) before listening:\n${worker.log}`);
    return worker;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.#running.map((w) => w.stop()));
    rmSync(this.scratch, { recursive: true, force: true });
    this.untrackScratch();
  }
}

/**
 * A handler named by its spec text in a test's fields: Client.send turns it into HANDLER_ID or
 * GROUP_HANDLER_ID and defines the id (DEFINE_HANDLER) as the module does.
 */
export class HandlerRef implements Field {
  readonly value: Buffer;
  constructor(
    readonly tag: number,
    readonly spec: string,
  ) {
    this.value = Buffer.from(spec, "utf8");
  }
}

/**
 * A module-side connection: sends frames, collects answers by request id, in arrival order. Handler ids
 * are given as the module gives them: one per distinct spec text (1, 2, ...), defined in every frame that
 * uses the id until an answer to such a frame is not ERROR.
 */
export class Client {
  readonly answers: Message[] = [];
  readonly #pending = new Map<number, (m: Message) => void>();
  readonly #ids = new Map<string, number>();
  readonly #defined = new Set<number>();
  /** The ids each request in flight defined. */
  readonly #defining = new Map<number, number[]>();
  readonly #decoder = new FrameDecoder();
  readonly closed: Promise<void>;
  #nextId = 1;
  decodeError: Error | null = null;

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk) => {
      let messages: Message[];
      try {
        messages = this.#decoder.push(chunk);
      } catch (err) {
        this.decodeError = err as Error;
        return;
      }
      for (const m of messages) {
        this.answers.push(m);
        const defining = this.#defining.get(m.requestId);
        this.#defining.delete(m.requestId);
        if (defining !== undefined && u8Of(m, Tag.STATUS) !== Status.ERROR) for (const id of defining) this.#defined.add(id);
        const resolveAnswer = this.#pending.get(m.requestId);
        this.#pending.delete(m.requestId);
        resolveAnswer?.(m);
      }
    });
    socket.on("error", () => {});
    this.closed = new Promise((r) => socket.once("close", () => r()));
  }

  static connect(path: string): Promise<Client> {
    return new Promise((resolveClient, reject) => {
      const socket = connect(path, () => resolveClient(new Client(socket)));
      socket.once("error", reject);
    });
  }

  /** Connects and completes the HELLO handshake; throws unless the worker agrees. */
  static async greeted(path: string): Promise<Client> {
    const client = await Client.connect(path);
    const answer = await client.hello();
    if (u8Of(answer, Tag.STATUS) !== Status.GRANTED) throw new Error(`HELLO refused: ${textOf(answer, Tag.REASON)}`);
    return client;
  }

  /** The answer to request `id`, or null if the connection closes first. */
  answerTo(id: number): Promise<Message | null> {
    const already = this.answers.find((a) => a.requestId === id);
    if (already) return Promise.resolve(already);
    return Promise.race([new Promise<Message>((r) => this.#pending.set(id, r)), this.closed.then(() => null)]);
  }

  hello(version = PROTOCOL_VERSION): Promise<Message> {
    // The worker here runs --no-bootstrap (no key): its answer carries no PROOF and no AUTH follows.
    this.socket.write(encodeFrame({ kind: Kind.HELLO, requestId: 0, fields: [u16Field(Tag.VERSION, version), bytesField(Tag.NONCE, randomBytes(16))] }));
    return this.answerTo(0).then((m) => {
      if (m === null) throw new Error("closed before HELLO answer");
      return m;
    });
  }

  /** The id this connection gives `spec` (one per distinct text). */
  idOf(spec: string): number {
    let id = this.#ids.get(spec);
    if (id === undefined) {
      id = this.#ids.size + 1;
      this.#ids.set(spec, id);
    }
    return id;
  }

  send(kind: number, fields: Field[], requestId = this.#nextId++): number {
    this.socket.write(encodeFrame({ kind, requestId, fields: this.#withIds(requestId, fields) }));
    return requestId;
  }

  /** `fields` with each HandlerRef as its id, and DEFINE_HANDLER first for ids not yet defined. */
  #withIds(requestId: number, fields: Field[]): Field[] {
    const definitions: Field[] = [];
    const defining: number[] = [];
    const out = fields.map((field) => {
      if (!(field instanceof HandlerRef)) return field;
      const id = this.idOf(field.spec);
      if (!this.#defined.has(id) && !defining.includes(id)) {
        defining.push(id);
        definitions.push(defineHandlerField(id, field.spec));
      }
      return u32Field(field.tag, id);
    });
    if (defining.length > 0) this.#defining.set(requestId, defining);
    return [...definitions, ...out];
  }

  /** Sends a request and resolves with its answer; throws if the connection closes first or the kind is wrong. */
  async request(kind: number, fields: Field[]): Promise<Message> {
    const id = this.send(kind, fields);
    const answer = await this.answerTo(id);
    if (answer === null) throw new Error(`connection closed before answer ${id}`);
    if (answer.kind !== (kind | ANSWER_BIT)) throw new Error(`answer ${id} has kind 0x${answer.kind.toString(16)}: ${textOf(answer, Tag.REASON)}`);
    return answer;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A connection that completed the keyed handshake under `key` (the generation key), as one of httpd's children does. */
export async function provenClient(path: string, key: Buffer): Promise<Client> {
  const client = await Client.connect(path);
  const moduleNonce = freshNonce();
  client.socket.write(encodeFrame({ kind: Kind.HELLO, requestId: 0, fields: [u16Field(Tag.VERSION, PROTOCOL_VERSION), bytesField(Tag.NONCE, moduleNonce)] }));
  const answer = await client.answerTo(0);
  if (answer === null || u8Of(answer, Tag.STATUS) !== Status.GRANTED) throw new Error("HELLO refused");
  const workerNonce = Buffer.from(firstField(answer, Tag.NONCE)?.value ?? Buffer.alloc(0));
  client.socket.write(encodeFrame({ kind: Kind.AUTH, requestId: 0, fields: [bytesField(Tag.PROOF, moduleProof(key, workerNonce, moduleNonce))] }));
  return client;
}

export const handler = (spec: string): Field => new HandlerRef(Tag.HANDLER_ID, spec);
export const groupHandler = (spec: string): Field => new HandlerRef(Tag.GROUP_HANDLER_ID, spec);
export const user = (name: string | Buffer): Field => (typeof name === "string" ? textField(Tag.USER, name) : bytesField(Tag.USER, name));
export const password = (pw: string | Buffer): Field => (typeof pw === "string" ? textField(Tag.PASSWORD, pw) : bytesField(Tag.PASSWORD, pw));
export const env = (entry: string): Field => textField(Tag.ENV, entry);
export const group = (name: string): Field => textField(Tag.GROUP, name);
export const permission = (name: string): Field => textField(Tag.PERMISSION, name);
export const status = (m: Message): number | undefined => u8Of(m, Tag.STATUS);
export const reason = (m: Message): string => textOf(m, Tag.REASON) ?? "";
export const groupsOf = (m: Message): string[] => fieldsOf(m, Tag.GROUP).map((f) => f.value.toString("utf8"));

export const check = (client: Client, spec: string, name: string | Buffer, pw: string | Buffer, extra: Field[] = []): Promise<Message> =>
  client.request(Kind.CHECK_PASSWORD, [handler(spec), user(name), password(pw), ...extra]);

/** What httpd's parent gives a worker at start: the generation key, the allowed specs, the file secrets (path -> content). */
export interface WorkerBootstrap {
  readonly key: Buffer;
  readonly specs: readonly string[];
  readonly secrets?: Readonly<Record<string, string>>;
}

/** The BOOTSTRAP frame of `bootstrap`, as the module writes it to --bootstrap-fd. */
export function bootstrapFrame(bootstrap: WorkerBootstrap): Buffer {
  return encodeFrame({
    kind: Kind.BOOTSTRAP,
    requestId: 0,
    fields: [
      bytesField(Tag.GENERATION_KEY, bootstrap.key),
      ...bootstrap.specs.map((s) => textField(Tag.ALLOWED_SPEC, s)),
      ...Object.entries(bootstrap.secrets ?? {}).map(([path, content]) => bytesField(Tag.SECRET_FILE, Buffer.from(`${path}\0${content}`))),
    ],
  });
}

/**
 * A worker started as httpd's parent starts it: --bootstrap-fd 3 carrying `key` (the generation key), the
 * allowed `specs` and the file secrets (path -> content), e.g. a Django handler's secret_key_file. Resolves
 * once it listens; connect with provenClient(worker.socketPath, key).
 */
export async function startBootstrappedWorker(
  harness: WorkerHarness,
  bootstrap: WorkerBootstrap,
  args: string[] = [],
): Promise<WorkerProcess> {
  const worker = harness.spawnWorker(["--bootstrap-fd", "3", ...args], undefined, 1);
  (worker.child.stdio[3] as NodeJS.WritableStream).end(bootstrapFrame(bootstrap));
  const ready = await Promise.race([worker.waitForLine(WORKER_LISTENING), worker.exited]);
  if (typeof ready !== "string") throw new Error(`worker exited before listening:\n${worker.log}`);
  return worker;
}
