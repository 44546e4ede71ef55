// The socket-file and peer-check pieces against real Unix sockets in a temporary directory.
import { mkdirSync, mkdtempSync, chmodSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadAddon } from "../../src/native/addon.js";
import { WorkerConfigError } from "../../src/errors.js";
import { PeerPolicy, describePeer } from "../../src/worker/peer.js";
import { checkSocketDirectory, listenOnSocketFile, removeStaleSocket } from "../../src/worker/socket-file.js";

const root = mkdtempSync(join(tmpdir(), "anp-peer-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const uid = process.getuid?.() ?? 0;

let n = 0;
function dir(mode: number): string {
  const d = join(root, `d${n++}`);
  mkdirSync(d);
  chmodSync(d, mode);
  return d;
}

/** Accepts one connection on a fresh socket and hands back the server's side of it. */
async function acceptedSocket(): Promise<{ server: Server; accepted: Socket; client: Socket }> {
  const path = join(dir(0o700), "s.sock");
  let accept: (s: Socket) => void = () => {};
  const acceptedPromise = new Promise<Socket>((r) => (accept = r));
  const server = createServer((s) => accept(s));
  await new Promise<void>((r) => server.listen(path, r));
  const client = connect(path);
  return { server, accepted: await acceptedPromise, client };
}

describe("socket directory and file", () => {
  it("accepts a 0700 or 0750 directory owned by the worker, refuses others", () => {
    expect(() => checkSocketDirectory(join(dir(0o700), "s.sock"), uid)).not.toThrow();
    expect(() => checkSocketDirectory(join(dir(0o750), "s.sock"), uid)).not.toThrow();
    expect(() => checkSocketDirectory(join(dir(0o770), "s.sock"), uid)).toThrow(/writable by others/);
    expect(() => checkSocketDirectory(join(dir(0o703), "s.sock"), uid)).toThrow(WorkerConfigError);
    expect(() => checkSocketDirectory(join(dir(0o700), "s.sock"), uid + 1)).toThrow(/owned by uid/);
    expect(() => checkSocketDirectory(join(root, "missing", "s.sock"), uid)).toThrow(/ENOENT/);
  });

  it("removes a stale socket but never another kind of file", async () => {
    const d = dir(0o700);
    expect(removeStaleSocket(join(d, "none.sock"))).toBe(false);
    writeFileSync(join(d, "file.sock"), "keep me");
    expect(() => removeStaleSocket(join(d, "file.sock"))).toThrow(/not a socket/);
    const server = createServer();
    await new Promise<void>((r) => server.listen(join(d, "old.sock"), r));
    expect(removeStaleSocket(join(d, "old.sock"))).toBe(true);
    server.close();
  });

  it("creates the socket with the requested mode", async () => {
    for (const mode of [0o600, 0o660] as const) {
      const path = join(dir(0o700), "w.sock");
      const server = await listenOnSocketFile({ socketPath: path, socketMode: mode, socketGid: null }, (s) => s.destroy());
      expect(statSync(path).mode & 0o777).toBe(mode);
      await new Promise<void>((r) => server.close(() => r()));
    }
    // The process umask is restored afterwards.
    const current = process.umask(0o022);
    process.umask(current);
    expect(current).not.toBe(0o177);
  });
});

describe("PeerPolicy", () => {
  const addon = loadAddon(() => {});

  it("identifies the peer with SO_PEERCRED and trusts our own uid and root", async () => {
    expect(addon, "the native addon must be built (npm run build:native)").not.toBeNull();
    const { server, accepted, client } = await acceptedSocket();
    const verdict = new PeerPolicy(uid, [], addon).check(accepted);
    expect(verdict.allowed).toBe(true);
    expect(verdict.peer).toMatchObject({ uid, pid: process.pid });
    // A policy that trusts neither this uid nor root refuses it.
    const strict = new PeerPolicy(123456, [], addon);
    expect(strict.allowsUid(uid)).toBe(uid === 0);
    expect(new PeerPolicy(uid, [33], addon).allowsUid(33)).toBe(true);
    expect(new PeerPolicy(uid, [33], addon).allowsUid(34)).toBe(false);
    client.destroy();
    accepted.destroy();
    server.close();
  });

  it("refuses when the peer cannot be identified (closed socket)", async () => {
    const { server, accepted, client } = await acceptedSocket();
    accepted.destroy();
    const verdict = new PeerPolicy(uid, [], addon).check(accepted);
    expect(verdict.allowed).toBe(false);
    expect(describePeer(verdict.peer)).toBe("peer");
    client.destroy();
    server.close();
  });

  it("without the addon it identifies nobody and allows (file modes are then the only check)", async () => {
    const { server, accepted, client } = await acceptedSocket();
    const policy = new PeerPolicy(uid, [], null);
    expect(policy.checksPeers).toBe(false);
    expect(policy.check(accepted).allowed).toBe(true);
    client.destroy();
    accepted.destroy();
    server.close();
  });
});
