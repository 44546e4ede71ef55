// The demo's worker runs as its own user, which cannot reach a checkout under a 0700 home directory
// (root's, on Debian). So the demo copies what the worker loads into its state directory: dist/,
// package.json, the runtime dependencies (not the dev ones), and the native addon, in the checkout's
// layout, so the staged worker finds its package.json, node_modules and build/Release as it would at
// home. The copy belongs to root and the worker's group, and no one else may enter it: the worker's
// user can read its code but not change it, and httpd's User cannot read it at all.
import { cpSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join, relative, sep } from "node:path";

interface Manifest {
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
}

function dependencyNames(packageDir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as Manifest;
  return [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.optionalDependencies ?? {})];
}

/** Where Node's resolution finds `name` from `fromDir`: the nearest node_modules/<name> above it, within the checkout. */
function resolvePackage(root: string, fromDir: string, name: string): string | null {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dir === root || !dir.startsWith(root + sep)) return null;
  }
}

/**
 * The package directories (relative to root) of every runtime dependency, transitively. An optional
 * dependency that is not installed is skipped, as npm does; a missing required one is an error here,
 * not a worker that fails at its first request.
 */
export function runtimePackages(root: string): string[] {
  const found = new Set<string>();
  const queue: Array<{ from: string; name: string; optional: boolean }> = dependencyNames(root).map((name) => ({ from: root, name, optional: false }));
  for (let item = queue.shift(); item; item = queue.shift()) {
    const dir = resolvePackage(root, item.from, item.name);
    if (!dir) {
      if (item.optional) continue;
      throw new Error(`the worker's dependency ${item.name} is not installed under ${root}: run npm ci`);
    }
    if (found.has(dir)) continue;
    found.add(dir);
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
    for (const name of Object.keys(manifest.dependencies ?? {})) queue.push({ from: dir, name, optional: false });
    for (const name of Object.keys(manifest.optionalDependencies ?? {})) queue.push({ from: dir, name, optional: true });
  }
  return [...found].map((dir) => relative(root, dir)).sort();
}

/**
 * Copies what the worker loads from the checkout at `root` into `target` (made here) and gives it to
 * root and `workerGroup` with no access for others; returns the staged package root, to be used as the
 * checkout is (its dist/worker.js is NodeAuthWorker). Throws, naming what is missing, when the
 * checkout is not built.
 */
export function stageWorker(root: string, target: string, workerGroup: string): string {
  const needed = ["dist/worker.js", "package.json", "build/Release/anp_addon.node"];
  for (const path of needed) {
    if (!existsSync(join(root, path))) throw new Error(`${join(root, path)} is missing: build the checkout first (npm run build)`);
  }
  mkdirSync(target, { recursive: true });
  cpSync(join(root, "dist"), join(target, "dist"), { recursive: true });
  cpSync(join(root, "package.json"), join(target, "package.json"));
  cpSync(join(root, "build/Release/anp_addon.node"), join(target, "build/Release/anp_addon.node"));
  for (const packageDir of runtimePackages(root)) {
    const from = join(root, packageDir);
    // Nested node_modules are packages of their own in the list (or dev-only ones, left out).
    cpSync(from, join(target, packageDir), { recursive: true, filter: (source) => !relative(from, source).split(sep).includes("node_modules") });
  }
  lockStagedWorker(target, workerGroup);
  return target;
}

/** Root's, readable by the worker's group only; called again after anything opens the state directory wider. */
export function lockStagedWorker(target: string, workerGroup: string): void {
  execFileSync("chown", ["-R", `root:${workerGroup}`, target]);
  execFileSync("chmod", ["-R", "u=rwX,g=rX,o=", target]);
}
