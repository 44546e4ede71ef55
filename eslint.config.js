import js from "@eslint/js";
import tseslint from "typescript-eslint";

// The worker's layers, bottom-up (docs/worker.md, "Layers"). A file may import its own layer and those
// below it, never one above: a plug-in (django) sits on the handler contract, the composition root
// (worker/, worker.ts) wires them together, and the operators' CLI (cli/, cli.ts) sits on top of all of
// them, reusing the django layer rather than copying it. Each entry: the files of a layer, and the
// directories (or files) of the layers above it; or, for a library that must stay self-contained, `only`:
// the one set of relative imports it may make besides its own directory and Node's built-ins (node:...).
const LAYERS = [
  { files: ["src/errors.ts", "src/log.ts", "src/option-values.ts"], above: ["protocol", "native", "cache", "brute-force", "handlers", "django", "worker", "demo", "cli"] },
  { files: ["src/protocol/**"], above: ["native", "cache", "brute-force", "handlers", "django", "worker", "demo", "cli"] },
  { files: ["src/native/**"], above: ["cache", "brute-force", "handlers", "django", "worker", "demo", "cli"] },
  { files: ["src/cache/**"], above: ["brute-force", "handlers", "django", "worker", "demo", "cli"] },
  { files: ["src/brute-force/**"], above: ["handlers", "django", "worker", "demo", "cli"] },
  { files: ["src/handlers/**"], above: ["django", "worker", "demo", "cli"] },
  // The session library sits under the Django handler and reads secrets and hostile input: it may use the
  // errors module, the logger and Node itself, nothing else of the project and no package.
  { files: ["src/django/session/**"], only: ["../../errors.js", "../../log.js"] },
  { files: ["src/django/**"], ignores: ["src/django/session/**"], above: ["worker", "demo", "cli"] },
  { files: ["src/worker/**"], above: ["demo", "cli"] },
  { files: ["src/cli/**"], above: ["demo"] },
];

/** The rules that keep one layer from importing a higher one, statically, by type, or by import(). */
function layerRules(layer) {
  return layer.only ? onlyRules(layer) : aboveRules(layer);
}

function escapeRegex(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** An allow-list layer: imports from its own directory, node:..., and the listed paths; nothing else. */
function onlyRules({ files, only }) {
  const allowed = `^(?!node:|\\./[^/]+$|(?:${only.map(escapeRegex).join("|")})$)`;
  const message = "this library may import only its own files, node: built-ins and " + only.join(", ") + " (see eslint.config.js LAYERS)";
  return {
    files,
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ regex: allowed, message }] }],
      "no-restricted-syntax": [
        "error",
        { selector: `ImportExpression > Literal[value=/${allowed.replace(/\//g, "\\/")}/]`, message },
        { selector: "ImportExpression[source.type!='Literal']", message: "import() by a path string: use a literal path" },
      ],
    },
  };
}

function aboveRules({ files, ignores = [], above }) {
  const patterns = above.flatMap(layerPatterns);
  const upward = above.filter((dir) => dir !== "cli").join("|");
  // The CLI's root is src/cli.ts, and the worker has a src/worker/cli.ts of its own: only src/cli/ and a
  // cli.js reached upwards (../) are the CLI's, so the worker may keep importing its ./cli.js.
  const cli = above.includes("cli") ? "|(^|\\/)cli\\/|^(\\.\\.\\/)+cli\\.js$" : "";
  return {
    files,
    ignores,
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: patterns, message: "imports a higher layer (see eslint.config.js LAYERS)" }] }],
      "no-restricted-syntax": [
        "error",
        { selector: `ImportExpression > Literal[value=/(^|\\/)(${upward})(\\/|\\.js$)${cli}/]`, message: "imports a higher layer (see eslint.config.js LAYERS)" },
        { selector: "ImportExpression[source.type!='Literal']", message: "import() by a path string: use a literal path" },
      ],
    },
  };
}

/** The import paths that reach `dir`'s layer (see aboveRules for the CLI's). */
function layerPatterns(dir) {
  if (dir === "cli") return ["**/cli/**", "./cli/**", "../cli.js", "../../cli.js", "../../../cli.js"];
  return [`**/${dir}/**`, `**/${dir}.js`, `./${dir}/**`, `./${dir}.js`];
}

export default tseslint.config(
  { ignores: ["dist/**", "build/**", "node_modules/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: "readonly", console: "readonly", Buffer: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", setImmediate: "readonly", URL: "readonly" },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["src/**"],
    rules: {
      "max-lines-per-function": ["error", { max: 80 }],
      "no-restricted-syntax": ["error", { selector: "ImportExpression[source.type!='Literal']", message: "import() by a path string: use a literal path" }],
    },
  },
  {
    // CommonJS handler fixtures: the contract's module.exports and exports forms.
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { module: "writable", require: "readonly" } },
  },
  { files: ["test/fixtures/**"], languageOptions: { globals: { TextEncoder: "readonly", TextDecoder: "readonly" } } },
  ...LAYERS.map(layerRules),
);
