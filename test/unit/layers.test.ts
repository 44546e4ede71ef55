// The worker's layers (eslint.config.js LAYERS) hold: `npm run lint` fails on an import from a lower
// layer to a higher one, by value, by type or by import(), and on import() of a computed path.
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const eslint = new ESLint({ cwd: new URL("../..", import.meta.url).pathname });

/** The rule ids ESLint reports for `code` as if it were the file `path`. */
async function problems(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

describe("layers", () => {
  it.each([
    ["the registry importing the Django plug-in", "src/handlers/registry.ts", 'import { createDjangoHandler } from "../django/handler.js";\nexport const f = createDjangoHandler;\n'],
    ["a handler importing the worker's types", "src/handlers/spec.ts", 'import type { Logger } from "../worker/connection.js";\nexport type L = Logger;\n'],
    ["the Django plug-in importing the worker", "src/django/hashers/bcrypt.ts", 'import { Dispatcher } from "../../worker/dispatcher.js";\nexport const d = Dispatcher;\n'],
    ["the codec importing a handler", "src/protocol/codec.ts", 'import { parseSpec } from "../handlers/spec.js";\nexport const p = parseSpec;\n'],
    ["the errors module importing the codec", "src/errors.ts", 'import { Tag } from "./protocol/constants.js";\nexport const t = Tag;\n'],
    ["the cache importing the composition root", "src/cache/verified-credentials.ts", 'import "../worker.js";\n'],
    ["a handler importing the Django plug-in by import()", "src/handlers/registry.ts", 'export const load = () => import("../django/handler.js");\n'],
    ["the session library importing the Django handler's config", "src/django/session/auth.ts", 'import { parseDjangoSpec } from "../config.js";\nexport const p = parseDjangoSpec;\n'],
    ["the session library importing the hashers", "src/django/session/auth.ts", 'import type { HasherOptions } from "../hashers/index.js";\nexport type H = HasherOptions;\n'],
    ["the session library importing the codec", "src/django/session/crypto.ts", 'import { Tag } from "../../protocol/constants.js";\nexport const t = Tag;\n'],
    ["the session library importing a package", "src/django/session/crypto.ts", 'import pg from "pg";\nexport const p = pg;\n'],
    ["the session library importing a built-in without node:", "src/django/session/crypto.ts", 'import { createHash } from "crypto";\nexport const c = createHash;\n'],
    ["the session library importing the worker by import()", "src/django/session/file.ts", 'export const load = () => import("../../worker/dispatcher.js");\n'],
    ["the registry importing the session library", "src/handlers/registry.ts", 'import { decodeSessionData } from "../django/session/index.js";\nexport const d = decodeSessionData;\n'],
  ])("refuses %s", async (_name, path, code) => {
    expect(await problems(path, code)).toContain(code.includes("import(") ? "no-restricted-syntax" : "no-restricted-imports");
  });

  it("refuses import() of a computed path anywhere in src/", async () => {
    expect(await problems("src/worker.ts", 'const where = "./django/handler.js";\nexport const load = () => import(where);\n')).toContain("no-restricted-syntax");
  });

  it.each([
    ["the composition root importing the Django plug-in", "src/worker/factories.ts", 'export const load = () => import("../django/handler.js");\n'],
    ["the Django plug-in importing the handler contract and the logger", "src/django/handler.ts", 'import type { Handler } from "../handlers/types.js";\nimport { createLogger } from "../log.js";\nexport type H = Handler;\nexport const c = createLogger;\n'],
    ["a handler importing the errors module", "src/handlers/spec.ts", 'import { SpecError } from "../errors.js";\nexport const e = SpecError;\n'],
    ["the session library importing the errors module, the logger, node: and its own files", "src/django/session/auth.ts", 'import { DjangoConfigError } from "../../errors.js";\nimport type { Logger } from "../../log.js";\nimport { createHash } from "node:crypto";\nimport { saltedHmac } from "./crypto.js";\nexport type L = Logger;\nexport const x = [DjangoConfigError, createHash, saltedHmac];\n'],
    ["the Django handler importing the session library", "src/django/handler.ts", 'import { decodeSessionData } from "./session/index.js";\nexport const d = decodeSessionData;\n'],
  ])("allows %s", async (_name, path, code) => {
    expect(await problems(path, code)).toEqual([]);
  });
});
