// ESLint flat config. Two jobs: the layer rules of DESIGN.md ("Dependency direction", STYLE.md), which fail
// the build when broken, and a moderate set of correctness rules. Formatting is Prettier's (`npm run format`),
// so no stylistic rule is on here. Choices and the rules turned off: docs/decisions.md ("Lint and format").
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import pluginVue from "eslint-plugin-vue";
import { importX } from "eslint-plugin-import-x";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import globals from "globals";

/** The engine folders below the API: they are called by api/, never the other way round. */
const BELOW_API = ["calls", "store", "media", "sip", "voice", "webhooks", "campaigns", "telephony", "providers"];

// no-restricted-imports: the last config that sets it for a file wins (options are not merged), so each
// group of files gets its full list.
const SIP_JS = {
  paths: [
    {
      name: "sip.js",
      message: 'sip.js stays behind our facade: import it only under main/engine/sip/ (STYLE.md "SIP").',
    },
  ],
  patterns: [
    { group: ["sip.js/*"], message: "sip.js stays behind our facade: import it only under main/engine/sip/." },
  ],
};
const ELECTRON = {
  paths: [
    {
      name: "electron",
      message:
        "main/engine/ is headless (it runs under plain Node and in a utilityProcess): never import electron there.",
    },
  ],
  patterns: [{ group: ["electron/*"], message: "main/engine/ is headless: never import electron there." }],
};
const restrict = (...sets) => [
  "error",
  { paths: sets.flatMap((s) => s.paths), patterns: sets.flatMap((s) => s.patterns) },
];

/** Folder-to-folder rules, checked on resolved paths (a relative import cannot dodge them). */
const zones = [
  {
    target: BELOW_API.map((f) => `./main/engine/${f}`),
    from: "./main/engine/api",
    message:
      'The API layer calls the engine, not the other way round: move what is shared below api/ (DESIGN.md "Dependency direction").',
  },
  {
    target: "./main/engine/store",
    from: ["calls", "voice", "telephony", "api", "webhooks"].map((f) => `./main/engine/${f}`),
    message: "store/ is the bottom layer: it may not import calls/, voice/, telephony/, api/ or webhooks/.",
  },
  // The leaves and the low layers of DESIGN.md's picture: each may import only what lies below it.
  ...[
    [
      "domain",
      [
        "api",
        "assistants",
        "calls",
        "campaigns",
        "events",
        "log",
        "media",
        "models",
        "providers",
        "sip",
        "store",
        "telephony",
        "voice",
        "webhooks",
      ],
    ],
    [
      "media",
      ["api", "assistants", "calls", "campaigns", "providers", "sip", "store", "telephony", "voice", "webhooks"],
    ],
    ["providers", ["api", "assistants", "calls", "campaigns", "sip", "store", "telephony", "voice", "webhooks"]],
    ["sip", ["api", "assistants", "calls", "campaigns", "store", "telephony", "voice", "webhooks"]],
    ["voice", ["api", "calls", "campaigns", "sip", "store", "telephony", "webhooks"]],
    ["webhooks", ["api", "calls", "campaigns", "sip", "telephony", "voice"]],
  ].map(([folder, above]) => ({
    target: `./main/engine/${folder}`,
    from: above.map((f) => `./main/engine/${f}`),
    message: `main/engine/${folder}/ sits below ${above.join(", ")} (DESIGN.md "Dependency direction"): pass what it needs in, through a typed interface.`,
  })),
  {
    target: "./renderer",
    from: ".",
    except: ["./renderer", "./shared-types", "./node_modules"],
    message:
      "The console talks to the engine over HTTP/WebSocket only: renderer/ imports from renderer/ and shared-types/.",
  },
  {
    target: "./bench",
    from: "./test/helpers",
    message:
      "Benchmarks may use test/support/ but not the test-only helpers in test/helpers/ (move the module to test/support/).",
  },
];

export default tseslint.config(
  {
    ignores: ["out/**", "dist/**", "release/**", "node_modules/**", "resources/**", "coverage/**", "**/*.d.ts"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs["flat/essential"],
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: { ...globals.node },
    },
    plugins: { "import-x": importX },
    settings: {
      "import-x/resolver-next": [
        createTypeScriptImportResolver({
          project: ["tsconfig.node.json", "tsconfig.web.json"],
          alwaysTryTypes: true,
          noWarnOnMultipleProjects: true,
        }),
      ],
      "import-x/extensions": [".ts", ".js", ".mjs", ".vue"],
    },
    rules: {
      "import-x/no-restricted-paths": ["error", { zones, basePath: import.meta.dirname }],
      "no-restricted-imports": restrict(SIP_JS),

      // Moderate: correctness stays on; these would flag hundreds of existing, deliberate lines.
      // Casts of loose JSON and native modules' shapes use `any` on purpose in a few places.
      "@typescript-eslint/no-explicit-any": "off",
      // `x!` after a checked lookup is a common, readable pattern here.
      "@typescript-eslint/no-non-null-assertion": "off",
      // Unused names starting with _ are intentional (callbacks' positional parameters).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true },
      ],
      // `catch {}` with a comment is how the code says "best effort"; an empty block without one is still reported.
      "no-empty": ["error", { allowEmptyCatch: true }],
      // Control characters in regexes are how SIP/RTP parsers match bytes.
      "no-control-regex": "off",
      // A rethrown error keeps its cause; no assignment, name or expression goes unused.
      "preserve-caught-error": "error",
      "no-useless-assignment": "error",
      "@typescript-eslint/no-unused-expressions": "error",
    },
  },
  {
    files: ["main/engine/**/*.ts"],
    ignores: ["main/engine/sip/**"],
    rules: { "no-restricted-imports": restrict(SIP_JS, ELECTRON) },
  },
  {
    files: ["main/engine/sip/**/*.ts"],
    rules: { "no-restricted-imports": restrict(ELECTRON) },
  },
  {
    files: ["renderer/**/*.{ts,vue}"],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: { parser: tseslint.parser, extraFileExtensions: [".vue"] },
    },
  },
  {
    // The AudioWorklet module runs in the audio rendering thread's own global scope.
    files: ["renderer/src/audio/*worklet*.js"],
    languageOptions: { globals: { ...globals.browser, ...globals.audioWorklet } },
  },
);
