// The worker's socket and its directory, attacked by hostile code running as httpd's User (www-data):
// both belong to root, so www-data can neither unlink, rename nor replace the socket, nor rename, remove
// or write into its directory; the right password still gets 200 afterwards. The listening socket is
// made for the worker alone: no httpd child holds it (a child that did could accept the other children's
// connections).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { startApache, printErrorLogOnFailure, REPO_ROOT, type ApacheServer } from "../harness/apache.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { eventually } from "../support/eventually.js";

const HANDLER = `${REPO_ROOT}/test/fixtures/module/handler.mjs`;

/** Run as www-data: every way to take the socket's place; prints each step's errno name (or "done"). */
const ATTACKER = `
import errno, json, os, socket, sys
path = sys.argv[1]
d = os.path.dirname(path)
out = {}
def attempt(name, fn):
    try:
        fn()
        out[name] = "done"
    except OSError as e:
        out[name] = errno.errorcode[e.errno]
def bind_at(p):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.bind(p)
    finally:
        s.close()
attempt("unlinkSocket", lambda: os.unlink(path))
attempt("renameSocket", lambda: os.rename(path, path + ".old"))
attempt("bindAtPath", lambda: bind_at(path))
attempt("bindInDir", lambda: bind_at(os.path.join(d, "mine.sock")))
attempt("createFile", lambda: os.close(os.open(os.path.join(d, "mine"), os.O_CREAT | os.O_WRONLY, 0o600)))
attempt("mkdirInDir", lambda: os.mkdir(os.path.join(d, "sub")))
attempt("renameDir", lambda: os.rename(d, d + ".old"))
attempt("rmdirDir", lambda: os.rmdir(d))
attempt("chmodDir", lambda: os.chmod(d, 0o777))
print(json.dumps(out))
`;

const servers: Array<ApacheServer | undefined> = [];
printErrorLogOnFailure(() => servers);

function socketPath(server: ApacheServer): string {
  const match = /ANP0302: started worker pid \d+ \(.*?\) on (\S+) as /.exec(server.errorLog());
  if (!match?.[1]) throw new Error("no ANP0302 line in the error log");
  return match[1];
}

/** Inodes of the listening Unix sockets bound at path (/proc/net/unix: flags 00010000 is __SO_ACCEPTCON). */
function listeningInodes(path: string): Set<string> {
  const inodes = new Set<string>();
  for (const line of readFileSync("/proc/net/unix", "utf8").split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length >= 8 && cols[7] === path && (parseInt(cols[3] ?? "0", 16) & 0x10000) !== 0) inodes.add(cols[6] ?? "");
  }
  return inodes;
}

function socketInodesOf(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1]) inodes.add(match[1]);
    } catch {
      // closed in between
    }
  }
  return inodes;
}

function idOf(flag: "-u" | "-g", user: string): number {
  return Number(spawnSync("id", [flag, user], { encoding: "utf8" }).stdout.trim());
}

describe.each(["prefork", "event"] as const)("the worker's socket against www-data (%s)", (mpm) => {
  let server: ApacheServer;

  beforeAll(async () => {
    server = await startApache({
      mpm,
      conf: [
        moduleServerDirectives(REPO_ROOT, {}),
        '<Location "/valid/">',
        "    AuthType Basic",
        '    AuthName "trust socket"',
        "    AuthBasicProvider node",
        `    NodeAuthUserScript "${HANDLER}"`,
        "    Require valid-user",
        "</Location>",
      ].join("\n"),
      files: { "valid/index.html": "valid\n" },
    });
    servers.push(server);
    expect(await eventually(() => /listening on /.test(server.errorLog()))).toBe(true);
  });

  afterAll(async () => {
    await server?.stop();
  });

  test("the socket and its directory are root's; httpd's children reach the socket through httpd's Group", async () => {
    expect(process.getuid?.()).toBe(0);
    const path = socketPath(server);
    const sock = statSync(path);
    const dir = statSync(dirname(path));
    expect(sock.isSocket()).toBe(true);
    expect({ uid: sock.uid, gid: sock.gid, mode: sock.mode & 0o7777 }).toEqual({ uid: 0, gid: idOf("-g", "www-data"), mode: 0o660 });
    expect({ uid: dir.uid, gid: dir.gid, mode: dir.mode & 0o7777 }).toEqual({ uid: 0, gid: idOf("-g", "www-data"), mode: 0o710 });
    expect(await server.statusAs("/valid/", "alice", "wonderland")).toBe(200);
  });

  test("www-data can neither unlink, rename nor replace the socket, nor touch its directory; 200 afterwards", async () => {
    const path = socketPath(server);
    const run = spawnSync("runuser", ["-u", "www-data", "--", "/usr/bin/python3", "-c", ATTACKER, path], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    const seen = JSON.parse(run.stdout) as Record<string, string>;
    // bind at the path finds the file still there; everything else is refused by the directory's permissions.
    expect(seen).toEqual({
      unlinkSocket: "EACCES",
      renameSocket: "EACCES",
      bindAtPath: "EADDRINUSE",
      bindInDir: "EACCES",
      createFile: "EACCES",
      mkdirInDir: "EACCES",
      renameDir: "EACCES",
      rmdirDir: "EACCES",
      chmodDir: "EPERM",
    });
    expect(statSync(path).uid).toBe(0);
    expect(readdirSync(dirname(path))).toEqual(["admin.sock", "worker.sock"]);
    expect(await server.statusAs("/valid/", "alice", "wonderland")).toBe(200);
    expect(await server.statusAs("/valid/", "alice", "not-the-password")).toBe(401);
  });

  test("the worker holds the listening socket and no httpd child does", async () => {
    expect(await server.statusAs("/valid/", "alice", "wonderland")).toBe(200);
    const listening = listeningInodes(socketPath(server));
    expect(listening.size).toBe(1);
    const [worker] = server.workers();
    if (worker === undefined) throw new Error("no worker under httpd");
    expect([...socketInodesOf(worker.pid)].filter((inode) => listening.has(inode))).toHaveLength(1);
    const children = server.children();
    expect(children.length).toBeGreaterThan(0);
    for (const child of children) {
      expect([...socketInodesOf(child.pid)].filter((inode) => listening.has(inode))).toEqual([]);
    }
    expect([...socketInodesOf(server.pid)].filter((inode) => listening.has(inode))).toEqual([]);
  });
});
