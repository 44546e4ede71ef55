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
  ])("allows %s", async (_name, path, code) => {
    expect(await problems(path, code)).toEqual([]);
  });
});
