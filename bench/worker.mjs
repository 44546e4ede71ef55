#!/usr/bin/env node
// bench/worker: checks per second over the worker's Unix socket, and the latency the worker adds.
// Spawns `node dist/worker.js` (run `npm run build:ts` first; `npm run bench:worker` does) with a trivial
// script handler, or with a Django handler when --django-db is given, then drives it from this process
// through the TS codec exactly as the module does: HELLO, then CHECK_PASSWORD frames on persistent
// connections, the first on each connection defining the handler's id (DEFINE_HANDLER), the rest naming
// it by id. Two phases, each after a warm-up:
//   sequential  one connection, one request at a time: p50/p99 round trip = the latency the worker adds
//   concurrent  --connections connections with --depth requests in flight each: checks/s, p50/p99
//
//   node bench/worker.mjs [--requests N] [--connections N] [--depth N] [--sequential N]
//                         [--django-db URL --user NAME --password PW] [--json]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Loads the compiled codec; the bench measures dist/, the code users run. */
async function loadProtocol(distDir) {
  return import(join(distDir, "protocol/index.js"));
}

/** Starts the worker and resolves once it is listening. */
function startWorker(workerJs, socketPath, extraArgs = []) {
  const child = spawn(process.execPath, [workerJs, "--socket", socketPath, "--no-bootstrap", "--log-level", "warn", ...extraArgs], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  return new Promise((resolve, reject) => {
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      log += chunk;
      if (log.includes("ANP0601: listening on")) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`worker exited with ${code} before listening:\n${log}`)));
  });
}

/**
 * One module-like connection: check() resolves with [status, round-trip ns]. `definition` (DEFINE_HANDLER)
 * goes with the checks until one is answered with a status other than ERROR, as the module sends it.
 */
async function openConnection(protocol, socketPath, definition) {
  const { FrameDecoder, encodeFrame, Kind, Tag, Status, PROTOCOL_VERSION, bytesField, u16Field, u8Of } = protocol;
  const socket = await new Promise((resolve, reject) => {
    const s = connect(socketPath, () => resolve(s));
    s.once("error", reject);
  });
  const decoder = new FrameDecoder();
  const pending = new Map();
  socket.on("data", (chunk) => {
    for (const message of decoder.push(chunk)) {
      const entry = pending.get(message.requestId);
      pending.delete(message.requestId);
      entry?.(message);
    }
  });
  let nextId = 0;
  const send = (kind, fields) => {
    const id = nextId++ % 0xffffffff;
    const answered = new Promise((resolve) => pending.set(id, resolve));
    socket.write(encodeFrame({ kind, requestId: id, fields }));
    return answered;
  };
  // The worker runs --no-bootstrap: its answer carries no PROOF and no AUTH follows.
  const hello = await send(Kind.HELLO, [u16Field(Tag.VERSION, PROTOCOL_VERSION), bytesField(Tag.NONCE, Buffer.alloc(16, 7))]);
  if (u8Of(hello, Tag.STATUS) !== Status.GRANTED) throw new Error("HELLO refused");
  let defined = false;
  return {
    async check(fields) {
      const start = process.hrtime.bigint();
      const answer = await send(Kind.CHECK_PASSWORD, defined ? fields : [definition, ...fields]);
      const status = u8Of(answer, Tag.STATUS);
      if (status !== Status.ERROR) defined = true;
      return [status, process.hrtime.bigint() - start];
    },
    close: () => socket.destroy(),
  };
}

function percentile(sortedNs, p) {
  if (sortedNs.length === 0) return NaN;
  const index = Math.min(sortedNs.length - 1, Math.ceil((p / 100) * sortedNs.length) - 1);
  return Number(sortedNs[Math.max(0, index)]) / 1e6;
}

function summarize(latencies, seconds, count) {
  const sorted = [...latencies].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { checks: count, seconds, perSecond: count / seconds, p50ms: percentile(sorted, 50), p99ms: percentile(sorted, 99) };
}

/**
 * Runs both phases against a worker already listening on `socketPath`. `fields` is the CHECK_PASSWORD
 * request naming handler id 1, `definition` its DEFINE_HANDLER; every answer must be GRANTED, or the run
 * fails (a bench of errors would measure nothing).
 */
export async function benchSocket({ protocol, socketPath, fields, definition, requests, connections, depth, sequential }) {
  const { Status } = protocol;
  const expectGranted = (status) => {
    if (status !== Status.GRANTED) throw new Error(`expected GRANTED, got status ${status}`);
  };

  // Sequential: one request at a time on one connection.
  const single = await openConnection(protocol, socketPath, definition);
  for (let i = 0; i < Math.min(500, sequential); i++) expectGranted((await single.check(fields))[0]);
  const seqLatencies = [];
  let start = process.hrtime.bigint();
  for (let i = 0; i < sequential; i++) {
    const [status, ns] = await single.check(fields);
    expectGranted(status);
    seqLatencies.push(ns);
  }
  const sequentialResult = summarize(seqLatencies, Number(process.hrtime.bigint() - start) / 1e9, sequential);
  single.close();

  // Concurrent: `connections` connections, each keeping `depth` requests in flight.
  const conns = await Promise.all(Array.from({ length: connections }, () => openConnection(protocol, socketPath, definition)));
  const run = async (total, latencies) => {
    let issued = 0;
    const lane = async (conn) => {
      while (issued < total) {
        issued++;
        const [status, ns] = await conn.check(fields);
        expectGranted(status);
        latencies?.push(ns);
      }
    };
    await Promise.all(conns.flatMap((conn) => Array.from({ length: depth }, () => lane(conn))));
  };
  await run(Math.min(2000, requests), null);
  const latencies = [];
  start = process.hrtime.bigint();
  await run(requests, latencies);
  const concurrentResult = summarize(latencies, Number(process.hrtime.bigint() - start) / 1e9, requests);
  for (const conn of conns) conn.close();
  return { sequential: sequentialResult, concurrent: { ...concurrentResult, connections, depth } };
}

export function formatResult(label, result) {
  const s = result.sequential;
  const c = result.concurrent;
  return [
    `${label}`,
    `  sequential (1 in flight):   ${s.perSecond.toFixed(0).padStart(7)} checks/s   added latency p50 ${s.p50ms.toFixed(3)} ms   p99 ${s.p99ms.toFixed(3)} ms   (${s.checks} checks)`,
    `  concurrent (${c.connections}x${c.depth} in flight): ${c.perSecond.toFixed(0).padStart(7)} checks/s   latency p50 ${c.p50ms.toFixed(3)} ms   p99 ${c.p99ms.toFixed(3)} ms   (${c.checks} checks)`,
  ].join("\n");
}

/** Spawns a worker in a fresh 0700 directory, runs benchSocket, stops the worker. */
export async function benchWorker({ distDir = join(REPO, "dist"), spec, user, password, workerArgs = [], ...load }) {
  const protocol = await loadProtocol(distDir);
  const { defineHandlerField, textField, u32Field, Tag } = protocol;
  const dir = mkdtempSync(join(tmpdir(), "anp-bench-worker-"));
  chmodSync(dir, 0o700);
  const socketPath = join(dir, "worker.sock");
  const worker = await startWorker(join(distDir, "worker.js"), socketPath, workerArgs);
  try {
    const fields = [u32Field(Tag.HANDLER_ID, 1), textField(Tag.USER, user), textField(Tag.PASSWORD, password)];
    return await benchSocket({ protocol, socketPath, fields, definition: defineHandlerField(1, spec(dir)), ...load });
  } finally {
    const exited = new Promise((resolve) => worker.once("exit", resolve));
    worker.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The load flags (parseArgs options) and their defaults, shared with bench/worker.ts. */
export const LOAD_OPTIONS = {
  requests: { type: "string", default: "100000" },
  connections: { type: "string", default: "4" },
  depth: { type: "string", default: "16" },
  sequential: { type: "string", default: "10000" },
};

/** The trivial handler: one comparison, so the numbers are the worker's and the socket's own cost. */
export function trivialSpec(dir) {
  const script = join(dir, "trivial.mjs");
  writeFileSync(script, 'export const checkPassword = (environ, user, password) => password === "bench-pw";\n');
  return `type=script\npath=${script}`;
}

async function main() {
  const { values } = parseArgs({
    options: {
      ...LOAD_OPTIONS,
      "django-db": { type: "string" },
      user: { type: "string" },
      password: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const load = {};
  for (const key of ["requests", "connections", "depth", "sequential"]) {
    const n = Number(values[key]);
    if (!Number.isSafeInteger(n) || n < 1) {
      console.error(`bench/worker: --${key} must be a positive integer`);
      process.exit(2);
    }
    load[key] = n;
  }
  let result;
  let label;
  if (values["django-db"]) {
    if (!values.user || values.password === undefined) {
      console.error("bench/worker: --django-db needs --user and --password of an existing active user");
      process.exit(2);
    }
    label = `worker, Django handler on ${values["django-db"].replace(/\/\/([^:/@]*):[^@]*@/, "//$1:***@")}`;
    result = await benchWorker({ spec: () => `type=django\ndatabase=${values["django-db"]}`, user: values.user, password: values.password, ...load });
  } else {
    label = "worker, trivial script handler";
    result = await benchWorker({ spec: trivialSpec, user: "bench", password: "bench-pw", ...load });
  }
  console.log(values.json ? JSON.stringify({ label, ...result }) : formatResult(label, result));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
