// The worker started as httpd's parent starts it: a BOOTSTRAP frame on an inherited descriptor (here a pipe
// the test writes, fd 3), carrying the generation key, the allowed handler specs and the `file:` secrets.
// The test plays the peer that reached the socket and the parent that wrote the bootstrap.
import { spawn } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeFrame } from "../../src/protocol/codec.js";
import { Kind, PROTOCOL_VERSION, Status, Tag } from "../../src/protocol/constants.js";
import { bytesField, textField, u16Field } from "../../src/protocol/fields.js";
import { WORKER_LISTENING, workerLine } from "../support/error-log.js";
import { Client, FIXTURES, WorkerHarness, WorkerProcess, check, provenClient, reason, status } from "../harness/worker.js";

const REAL = `type=script\npath=${join(FIXTURES, "basic.mjs")}`;
const KEY = Buffer.alloc(16, 0x5a);

let harness: WorkerHarness;
beforeAll(() => {
  harness = WorkerHarness.create();
});
afterAll(() => harness.cleanup());

interface BootstrapContent {
  readonly specs: readonly string[];
  readonly secrets?: Readonly<Record<string, string>>;
}

function bootstrapFrame({ specs, secrets = {} }: BootstrapContent): Buffer {
  return encodeFrame({
    kind: Kind.BOOTSTRAP,
    requestId: 0,
    fields: [
      bytesField(Tag.GENERATION_KEY, KEY),
      ...specs.map((s) => textField(Tag.ALLOWED_SPEC, s)),
      ...Object.entries(secrets).map(([path, content]) => bytesField(Tag.SECRET_FILE, Buffer.from(`${path}\0${content}`))),
    ],
  });
}

/** Spawns a worker with --bootstrap-fd 3, writes `bytes` on fd 3 and closes it, as httpd's parent does. */
function spawnBootstrapped(bytes: Buffer): WorkerProcess {
  const worker = harness.spawnWorker(["--bootstrap-fd", "3"], undefined, 1);
  (worker.child.stdio[3] as Writable).end(bytes);
  return worker;
}

async function startBootstrapped(content: BootstrapContent): Promise<WorkerProcess> {
  const worker = spawnBootstrapped(bootstrapFrame(content));
  const ready = await Promise.race([worker.waitForLine(WORKER_LISTENING), worker.exited]);
  if (typeof ready !== "string") throw new Error(`worker exited before listening:\n${worker.log}`);
  return worker;
}

describe("handler spec allowlist", () => {
  it("answers ERROR for a spec httpd's configuration does not name, and imports nothing", async () => {
    const marker = join(harness.scratch, "evil-ran");
    const evil = join(harness.scratch, "evil.mjs");
    writeFileSync(evil, `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, "imported");\nexport const checkPassword = () => true;\n`);
    const evilSpec = `type=script\npath=${evil}`;

    const worker = await startBootstrapped({ specs: [REAL] });
    const client = await provenClient(worker.socketPath, KEY);
    const refused = await check(client, evilSpec, "mallory", "anything");
    expect(status(refused)).toBe(Status.ERROR);
    expect(reason(refused)).toBe("handler spec not in httpd's configuration");
    expect(existsSync(marker)).toBe(false);
    expect(status(await check(client, REAL, "alice", "wonderland"))).toBe(Status.GRANTED);
    client.close();
    await worker.stop();
    expect(existsSync(marker)).toBe(false);
  });

  it("keeps answering real checks after 300 junk specs (the registry holds only allowed ones)", async () => {
    const worker = await startBootstrapped({ specs: [REAL] });
    const client = await provenClient(worker.socketPath, KEY);
    // Each junk text is the real spec with blank lines added: a valid spec of its own, 300 distinct texts,
    // more than the registry's 256 if they were admitted.
    const junk = Array.from({ length: 300 }, (_, i) => `${REAL}${"\n".repeat(i + 1)}`);
    const answers = await Promise.all(junk.map((spec) => check(client, spec, "alice", "wonderland")));
    expect(answers.map(status)).toEqual(junk.map(() => Status.ERROR));
    expect(new Set(answers.map(reason))).toEqual(new Set(["handler spec not in httpd's configuration"]));
    expect(status(await check(client, REAL, "alice", "wonderland"))).toBe(Status.GRANTED);
    client.close();
    await worker.stop();
  });
});

describe("file: secrets", () => {
  it("replaces a file: value with the content the parent passed, and refuses a path it did not pass", async () => {
    const secretPath = "/nonexistent/anp-secret/handler-path";
    const viaSecret = "type=script\npath=file:/nonexistent/anp-secret/handler-path";
    const notPassed = "type=script\npath=file:/nonexistent/anp-secret/other";
    const worker = await startBootstrapped({ specs: [viaSecret, notPassed], secrets: { [secretPath]: `${join(FIXTURES, "basic.mjs")}\n` } });
    const client = await provenClient(worker.socketPath, KEY);
    expect(status(await check(client, viaSecret, "alice", "wonderland"))).toBe(Status.GRANTED);
    expect(status(await check(client, viaSecret, "alice", "wrong"))).toBe(Status.DENIED);
    const refused = await check(client, notPassed, "alice", "wonderland");
    expect(status(refused)).toBe(Status.ERROR);
    expect(reason(refused)).toBe("handler spec: path: file:/nonexistent/anp-secret/other was not passed by httpd's parent");
    client.close();
    await worker.stop();
  });
});

describe("a bad bootstrap stops the worker", () => {
  const cases: [string, Buffer, RegExp][] = [
    ["nothing", Buffer.alloc(0), /--bootstrap-fd: no BOOTSTRAP frame/],
    ["a truncated frame", bootstrapFrame({ specs: [REAL] }).subarray(0, 20), /--bootstrap-fd: truncated BOOTSTRAP frame/],
    ["another kind", encodeFrame({ kind: Kind.HELLO, requestId: 0, fields: [u16Field(Tag.VERSION, PROTOCOL_VERSION), bytesField(Tag.NONCE, Buffer.alloc(16))] }), /--bootstrap-fd: expected a BOOTSTRAP frame/],
    ["bytes after the frame", Buffer.concat([bootstrapFrame({ specs: [REAL] }), Buffer.from("x")]), /--bootstrap-fd: 1 bytes after the BOOTSTRAP frame/],
  ];
  it("exits 2 without --bootstrap-fd or --no-bootstrap, saying why", async () => {
    const path = join(harness.socketDir(), "worker.sock");
    const worker = new WorkerProcess(spawn(process.execPath, [harness.workerJs, "--socket", path], { stdio: ["ignore", "pipe", "pipe"] }), path);
    expect((await worker.exited).code).toBe(2);
    expect(worker.log).toMatch(workerLine("error", /--bootstrap-fd: is required \(httpd's module passes it\), or --no-bootstrap for a worker started by hand/));
  });

  for (const [name, bytes, message] of cases) {
    it(`exits 2 for ${name}`, async () => {
      const worker = spawnBootstrapped(bytes);
      expect((await worker.exited).code).toBe(2);
      expect(worker.log).toMatch(message);
      expect(worker.log).not.toMatch(/listening on/);
    });
  }
});

/** Binds and listens on argv[1] as httpd's parent does, puts the socket on fd 3, then execs argv[2:]. */
const PARENT = `
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(64)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.execv(sys.argv[2], sys.argv[2:])
`;

describe("--listen-fd", () => {
  it("accepts on the parent's listening socket and leaves its file alone", async () => {
    const dir = join(harness.scratch, "parent-socket");
    mkdirSync(dir, { mode: 0o755 });
    const path = join(dir, "worker.sock");
    const child = spawn("python3", ["-c", PARENT, path, process.execPath, harness.workerJs, "--socket", path, "--listen-fd", "3", "--no-bootstrap"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const worker = new WorkerProcess(child, path);
    const ready = await Promise.race([worker.waitForLine(WORKER_LISTENING), worker.exited]);
    if (typeof ready !== "string") throw new Error(`worker exited before listening:\n${worker.log}`);
    const inode = lstatSync(path).ino;
    const client = await Client.greeted(path);
    expect(status(await check(client, REAL, "alice", "wonderland"))).toBe(Status.GRANTED);
    client.close();
    await worker.stop();
    expect((await worker.exited).code).toBe(0);
    // The file is the parent's to remove: the worker neither replaced nor unlinked it.
    expect(lstatSync(path).ino).toBe(inode);
  });
});
