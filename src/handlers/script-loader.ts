// Finds and imports a handler script: an ES module, a CommonJS file, or a package specifier.
// Reloading follows mod_wsgi's script reloading: only the script file itself is evaluated again,
// never the modules it imports. ESM has no cache eviction, so each reload imports a new URL
// (`?reload=<n>`); the old module stays in memory, which is why reloading is off by default.
import { randomUUID } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, extname, isAbsolute, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ScriptLoadError } from "../errors.js";

export type ModuleFormat = "esm" | "cjs";

export interface ScriptTarget {
  /** Absolute path of the file that is evaluated. */
  readonly file: string;
  readonly format: ModuleFormat;
}

/** What identifies one version of a file on disk; any change means "reload". */
export interface FileFingerprint {
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly size: bigint;
  readonly ino: bigint;
}

/**
 * Resolves the spec's `path`: an absolute file path, or a package specifier resolved the way the worker
 * itself would import it (from the worker's own node_modules). Relative paths are refused: there is no
 * meaningful directory they could be relative to.
 */
export function resolveScript(path: string): ScriptTarget {
  let file: string;
  if (isAbsolute(path)) file = path;
  else if (path.startsWith(".")) throw new ScriptLoadError(`path must be absolute or a package name, not ${JSON.stringify(path)}`);
  else {
    let url: string;
    try {
      url = resolvePackage(path);
    } catch (err) {
      throw new ScriptLoadError(`cannot resolve package ${JSON.stringify(path)}: ${(err as Error).message}`, { cause: err });
    }
    if (!url.startsWith("file:")) throw new ScriptLoadError(`${JSON.stringify(path)} is not a file (${url})`);
    file = fileURLToPath(url);
  }
  return { file, format: moduleFormat(file) };
}

/**
 * ESM resolution from the worker's own location (import.meta.resolve); where that is missing (e.g.
 * under a test runner's module transform), CommonJS resolution from the same place.
 */
function resolvePackage(specifier: string): string {
  if (typeof import.meta.resolve === "function") return import.meta.resolve(specifier);
  return pathToFileURL(createRequire(import.meta.url).resolve(specifier)).href;
}

/** Node's own rule: .mjs is ESM, .cjs is CommonJS, anything else follows the nearest package.json "type". */
export function moduleFormat(file: string): ModuleFormat {
  const ext = extname(file);
  if (ext === ".mjs") return "esm";
  if (ext === ".cjs") return "cjs";
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const pkg = join(dir, "package.json");
    let text: string | null = null;
    try {
      if (statSync(pkg).isFile()) text = readFileSync(pkg, "utf8");
    } catch {
      text = null;
    }
    if (text !== null) {
      try {
        return (JSON.parse(text) as { type?: unknown }).type === "module" ? "esm" : "cjs";
      } catch {
        return "cjs"; // Node ignores an unreadable package.json for this decision as well
      }
    }
    if (dirname(dir) === dir) return "cjs";
  }
}

export async function fingerprint(file: string): Promise<FileFingerprint> {
  try {
    const s = await stat(file, { bigint: true });
    return { mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs, size: s.size, ino: s.ino };
  } catch (err) {
    throw new ScriptLoadError(`cannot stat ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

export function sameFingerprint(a: FileFingerprint, b: FileFingerprint): boolean {
  return a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.size === b.size && a.ino === b.ino;
}

/**
 * Evaluates the script and returns its exports object (an ES namespace or CommonJS `module.exports`).
 * `fresh` forces a new evaluation even if this file was imported before: Node's module map is
 * process-wide and also remembers failed evaluations, so every retry or reload needs a URL never used
 * before (a random one, so two handlers on the same file never share a stale version).
 */
export async function importScript(target: ScriptTarget, fresh: boolean): Promise<Record<string, unknown>> {
  try {
    if (target.format === "cjs") {
      const require = createRequire(target.file);
      if (fresh) delete require.cache[target.file];
      return toRecord(require(target.file));
    }
    const url = pathToFileURL(target.file).href + (fresh ? `?reload=${randomUUID()}` : "");
    // A user's script, named by its handler spec: the one import() that must take a computed path.
    // eslint-disable-next-line no-restricted-syntax
    return toRecord(await import(url));
  } catch (err) {
    throw new ScriptLoadError(`cannot load ${target.file}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}

/** Drops a CommonJS script from require's cache (ESM cannot be evicted). */
export function forgetScript(target: ScriptTarget): void {
  if (target.format === "cjs") delete createRequire(target.file).cache[target.file];
}

function toRecord(value: unknown): Record<string, unknown> {
  if ((typeof value === "object" || typeof value === "function") && value !== null) return value as Record<string, unknown>;
  return {};
}
