// SO_PEERCRED through the addon, on real Unix socket connections from real client processes.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { chmodSync, closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireOrSkip } from "../support/optional.js";
import { addonLoadFailure, addonPath, loadAddon, loadAddonFrom, socketFd, socketPeerCredentials, type Addon } from "../../src/native/index.js";

const addon = loadAddon();
if (addon === null) throw new Error("build the addon first: npm run build:native");
const native: Addon = addon;

let dir: string;
let socketPath: string;
let server: Server;
const accepted: Socket[] = [];
const waiting: Array<(s: Socket) => void> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "anp-peercred-"));
  chmodSync(dir, 0o755);
  socketPath = join(dir, "s");
  server = createServer((sock) => {
    const next = waiting.shift();
    if (next) next(sock);
    else accepted.push(sock);
  });
  server.listen(socketPath);
  await once(server, "listening");
  chmodSync(socketPath, 0o777);
});

afterAll(async () => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function nextConnection(): Promise<Socket> {
  const ready = accepted.shift();
  if (ready) return Promise.resolve(ready);
  return new Promise((resolve) => waiting.push(resolve));
}

/** A client process that connects, then stays until its stdin closes. */
function spawnClient(options: { uid?: number; gid?: number } = {}): ChildProcess {
  const code = `const c=require("net").connect(${JSON.stringify(socketPath)});c.on("connect",()=>process.stdout.write("up\\n"));process.stdin.on("end",()=>process.exit(0));process.stdin.resume();`;
  return spawn(process.execPath, ["-e", code], { stdio: ["pipe", "pipe", "inherit"], ...options });
}

async function credentialsOf(client: ChildProcess): Promise<{ uid: number; gid: number; pid: number }> {
  const sock = await nextConnection();
  try {
    return socketPeerCredentials(native, sock);
  } finally {
    client.stdin?.end();
    await once(client, "exit");
    sock.destroy();
  }
}

describe("peerCredentials", () => {
  it("reads the uid, gid and pid of a client process", async () => {
    const client = spawnClient();
    const creds = await credentialsOf(client);
    expect(creds).toEqual({ uid: process.getuid!(), gid: process.getgid!(), pid: client.pid });
    expect(creds.pid).not.toBe(process.pid);
  });

  it("reads another user's uid and gid (root only: the client runs as nobody)", async (context) => {
    requireOrSkip(context, process.getuid?.() === 0, "not root: cannot start a client as nobody");
    const client = spawnClient({ uid: 65534, gid: 65534 });
    const creds = await credentialsOf(client);
    expect(creds).toEqual({ uid: 65534, gid: 65534, pid: client.pid });
  });

  it("reads this process's own credentials on the client side", async () => {
    const { connect } = await import("node:net");
    const client = connect(socketPath);
    await once(client, "connect");
    const serverSide = await nextConnection();
    try {
      // The client's peer is the server: this very process.
      expect(socketPeerCredentials(native, client)).toEqual({ uid: process.getuid!(), gid: process.getgid!(), pid: process.pid });
    } finally {
      client.destroy();
      serverSide.destroy();
    }
  });

  it("throws E_PEERCRED on a descriptor that is not a socket", () => {
    const fd = openSync(join(dir, "plain"), "w");
    try {
      expect(() => native.peerCredentials(fd)).toThrow(expect.objectContaining({ code: "E_PEERCRED" }));
    } finally {
      closeSync(fd);
    }
  });

  it("refuses a closed socket and bad arguments", async () => {
    const { connect } = await import("node:net");
    const client = connect(socketPath);
    await once(client, "connect");
    const serverSide = await nextConnection();
    client.destroy();
    serverSide.destroy();
    expect(() => socketFd(client)).toThrow(expect.objectContaining({ code: "E_NO_FD" }));
    expect(() => native.peerCredentials(-1)).toThrow(TypeError);
    expect(() => native.peerCredentials(1.5)).toThrow(TypeError);
  });
});

describe("loadAddon", () => {
  it("loads the built addon once and caches it", () => {
    expect(loadAddon()).toBe(native);
    expect(addonLoadFailure()).toBeNull();
    expect(addonPath.endsWith("build/Release/anp_addon.node")).toBe(true);
  });

  it("explains a missing or broken addon instead of throwing", () => {
    const missing = loadAddonFrom(join(dir, "nothing.node"));
    expect(missing).toEqual({ failure: expect.stringContaining("not built") });
    const junk = join(dir, "junk.node");
    writeFileSync(junk, "not an ELF file");
    expect(loadAddonFrom(junk)).toEqual({ failure: expect.stringContaining("failed to load") });
    const other = join(dir, "other.cjs");
    writeFileSync(other, "module.exports = { hello: 1 };");
    expect(loadAddonFrom(other)).toEqual({ failure: expect.stringContaining("lacks peerCredentials") });
  });
});
