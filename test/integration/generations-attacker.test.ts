// httpd's User against the generations table: the children read it to decide whether a kept answer is
// current, so code running as httpd's User (a CGI or PHP program, or code inside a child) must be able to
// read it and must not be able to change it, by any route: a writable open, a shared writable mapping, a
// read-only mapping made writable with mprotect, truncating, changing its mode, or replacing it in its
// directory. The module itself is stricter: its file is the worker user's with mode 0600, and the children
// read it through a read-only mapping inherited from httpd's parent, so httpd's User cannot even open it
// (test/e2e/shared-store.test.ts). This test gives the attacker more than that, a file of the worker's user
// (here nobody), group httpd's Group, mode 0640, in a root-owned directory of mode 0710 with httpd's Group,
// so that its own read-only mapping is the one it tries to make writable.
// The attacker is Python with ctypes, run as www-data with runuser.
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { GenerationsTable } from "../../src/cache/generations-table.js";
import { loadAddon } from "../../src/native/index.js";
import { describeRequiring } from "../support/optional.js";

const ATTACKER = String.raw`
import ctypes, errno, json, mmap, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
path, size = sys.argv[1], int(sys.argv[2])
seen = {}
def attempt(name, fn):
    try:
        fn()
        seen[name] = "done"
    except OSError as e:
        seen[name] = errno.errorcode.get(e.errno, str(e.errno))
def raw_mmap(fd, prot, flags):
    addr = libc.mmap(None, size, prot, flags, fd, 0)
    if addr in (None, ctypes.c_void_p(-1).value):
        e = ctypes.get_errno(); raise OSError(e, os.strerror(e))
    return addr
attempt("openReadWrite", lambda: os.close(os.open(path, os.O_RDWR)))
attempt("openWriteOnly", lambda: os.close(os.open(path, os.O_WRONLY)))
fd = os.open(path, os.O_RDONLY)
attempt("mmapSharedWritable", lambda: raw_mmap(fd, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_SHARED))
addr = raw_mmap(fd, mmap.PROT_READ, mmap.MAP_SHARED)
seen["epochRead"] = str(ctypes.c_uint64.from_address(addr + 16).value)
def mprotect_writable():
    if libc.mprotect(addr, size, mmap.PROT_READ | mmap.PROT_WRITE) != 0:
        e = ctypes.get_errno(); raise OSError(e, os.strerror(e))
attempt("mprotectWritable", mprotect_writable)
# A private mapping may be written, but only the copy: the table's pages stay as they are.
private = raw_mmap(fd, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_PRIVATE)
ctypes.c_uint64.from_address(private + 16).value = 0
ctypes.c_uint64.from_address(private + 24).value = 2**63
attempt("ftruncate", lambda: os.ftruncate(fd, 0))
attempt("chmod", lambda: os.chmod(path, 0o666))
attempt("unlink", lambda: os.unlink(path))
attempt("rename", lambda: os.rename(path, path + ".x"))
attempt("replace", lambda: os.close(os.open(path + ".new", os.O_CREAT | os.O_WRONLY, 0o644)))
print(json.dumps(seen))
`;

const addon = loadAddon();
const root = process.getuid?.() === 0;
const hasPython = spawnSync("/usr/bin/python3", ["-c", "import ctypes"]).status === 0;
const idOf = (flag: string, name: string): number => Number(spawnSync("id", [flag, name], { encoding: "utf8" }).stdout.trim());

describeRequiring(root && hasPython && addon !== null, "root (to play www-data with runuser), python3 and the addon")("httpd's User against the generations table", () => {
  const slots = 1024;
  let dir = "";
  let path = "";
  let table: GenerationsTable;

  beforeAll(() => {
    if (addon === null) return;
    const parent = mkdtempSync(join(tmpdir(), "anp-generations-attacker-"));
    chmodSync(parent, 0o755);
    dir = join(parent, "run");
    mkdirSync(dir);
    chownSync(dir, 0, idOf("-g", "www-data"));
    chmodSync(dir, 0o710);
    path = join(dir, "generations");
    writeFileSync(path, Buffer.alloc((8 + slots) * 8));
    chownSync(path, idOf("-u", "nobody"), idOf("-g", "www-data"));
    chmodSync(path, 0o640);
    const fd = openSync(path, "r+");
    table = GenerationsTable.open(addon, fd, true);
    closeSync(fd);
    table.renewLease(60_000);
    for (const key of ["1", "2", "3"]) table.changed(key);
  });

  afterAll(() => {
    if (dir) rmSync(join(dir, ".."), { recursive: true, force: true });
  });

  test("reads the table, and every way of changing it is refused; the worker's view is unchanged", () => {
    const epoch = table.epoch;
    const lease = table.lease;
    const generations = Array.from({ length: slots }, (_, i) => table.generation(i));
    const run = spawnSync("runuser", ["-u", "www-data", "--", "/usr/bin/python3", "-c", ATTACKER, path, String((8 + slots) * 8)], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({
      openReadWrite: "EACCES",
      openWriteOnly: "EACCES",
      mmapSharedWritable: "EACCES",
      epochRead: String(epoch),
      mprotectWritable: "EACCES",
      ftruncate: "EINVAL",
      chmod: "EPERM",
      unlink: "EACCES",
      rename: "EACCES",
      replace: "EACCES",
    });
    expect(table.epoch).toBe(epoch);
    expect(table.lease).toBe(lease);
    expect(Array.from({ length: slots }, (_, i) => table.generation(i))).toEqual(generations);
    expect(statSync(path).mode & 0o7777).toBe(0o640);
  });
});
