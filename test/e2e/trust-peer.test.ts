// The module checks who is listening (docs/protocol.md, "Connection life", step 1): on each new connection
// SO_PEERCRED must show the worker httpd's parent started, before any byte is written. Here the process
// httpd starts as its worker hands the socket to a process of its own (same uid, another pid) and waits:
// that listener stands for anything that took the socket over. It answers every HELLO with GRANTED and every
// check with GRANTED, as the takeover did, and records every byte it receives. The module must
// send it nothing (no credentials), answer 500, and log ANP0410 naming the uid and pid it saw.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApache, printErrorLogOnFailure, type ApacheServer } from "../harness/apache.js";
import { eventually } from "../support/eventually.js";

const dir = mkdtempSync(join(tmpdir(), "anp-trust-peer-"));
const RECEIVED = join(dir, "received");
const FAKE = join(dir, "fake-worker.mjs");
const IMPOSTOR = join(dir, "impostor.mjs");

/** httpd's "worker": starts the impostor with the listening socket (fd 3, or the socket path) and idles. */
const FAKE_WORKER = `
import { spawn } from "node:child_process";
const args = process.argv.slice(2);
// The module's check of the handler specs (at configtest and start): this worker runs whatever it is given.
if (args.includes("--check-specs")) process.exit(0);
const at = args.indexOf("--listen-fd");
const socketPath = args[args.indexOf("--socket") + 1];
const listenFd = at >= 0 ? Number(args[at + 1]) : -1;
const stdio = ["ignore", "inherit", "inherit"];
if (listenFd >= 0) stdio[listenFd] = listenFd;
spawn(process.execPath, [${JSON.stringify(IMPOSTOR)}, String(listenFd), socketPath], { stdio });
console.error("fake worker: impostor started");
setInterval(() => {}, 1 << 30);
process.on("SIGTERM", () => process.exit(0));
`;

/** The impostor: GRANTED to everything, every byte it receives appended to RECEIVED. */
const IMPOSTOR_SCRIPT = `
import { createServer } from "node:net";
import { appendFileSync, rmSync } from "node:fs";
const [fdText, socketPath] = process.argv.slice(2);
function frame(kind, id, fields) {
  const body = Buffer.concat(fields.map(([tag, value]) => Buffer.concat([Buffer.from([tag, value.length >> 8, value.length & 0xff]), value])));
  const head = Buffer.alloc(11);
  head.writeUInt32BE(7 + body.length, 0);
  head.writeUInt8(kind, 4);
  head.writeUInt32BE(id, 5);
  head.writeUInt16BE(fields.length, 9);
  return Buffer.concat([head, body]);
}
const server = createServer((socket) => {
  let pending = Buffer.alloc(0);
  socket.on("error", () => {});
  socket.on("data", (chunk) => {
    appendFileSync(${JSON.stringify(RECEIVED)}, chunk);
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32BE(0)) {
      const size = 4 + pending.readUInt32BE(0);
      const kind = pending[4], id = pending.readUInt32BE(5);
      // HELLO's first field is its VERSION (the module writes it first): agree with whatever it says.
      const version = kind === 0x01 ? [[1, Buffer.from(pending.subarray(14, 16))]] : [];
      pending = pending.subarray(size);
      if (kind === 0x07) continue; // AUTH is not answered
      socket.write(frame(kind | 0x80, id, [[11, Buffer.from([1])], ...version]));
    }
  });
});
if (Number(fdText) >= 0) server.listen({ fd: Number(fdText) });
else {
  rmSync(socketPath, { force: true });
  server.listen(socketPath);
}
console.error("impostor: listening");
`;

const servers: Array<ApacheServer | undefined> = [];
printErrorLogOnFailure(() => servers);

describe("a listener that is not the worker httpd's parent started", () => {
  let server: ApacheServer;

  beforeAll(async () => {
    chmodSync(dir, 0o777);
    writeFileSync(FAKE, FAKE_WORKER);
    writeFileSync(IMPOSTOR, IMPOSTOR_SCRIPT);
    chmodSync(FAKE, 0o644);
    chmodSync(IMPOSTOR, 0o644);
    server = await startApache({
      mpm: "event",
      conf: [
        `NodeAuthNodeBinary "${process.execPath}"`,
        `NodeAuthWorker "${FAKE}"`,
        '<Location "/valid/">',
        "    AuthType Basic",
        '    AuthName "peer"',
        "    AuthBasicProvider node",
        `    NodeAuthUserScript "${FAKE}"`,
        "    Require valid-user",
        "</Location>",
      ].join("\n"),
      files: { "valid/index.html": "valid\n" },
      logLevel: "info authnz_node:debug",
    });
    servers.push(server);
    if (!(await eventually(async () => Promise.resolve(server.errorLog().includes("impostor: listening")), 600))) throw new Error("the impostor never listened");
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("gets no byte, the check is a 500, and ANP0410 names the uid and pid that listened", async () => {
    expect(await server.statusAs("/valid/", "mallory", "anything")).toBe(500);
    expect(existsSync(RECEIVED) ? readFileSync(RECEIVED).length : 0).toBe(0);
    expect(server.errorLog()).toMatch(/ANP0410: the process listening on the worker's socket is uid \d+ pid \d+, not the worker httpd's parent started \(uid \d+ pid \d+\); nothing was sent/);
  });
});
