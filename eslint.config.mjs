// One lint for the whole tree (`npm run lint`, part of `npm test`). Type-aware rules, because the
// bugs worth catching here are floating promises and `any` leaking out of JSON.parse or a library.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: [".next/", "dist/", "data/", ".e2e-data/", "coverage/", "test-results/", "playwright-report/", "next-env.d.ts"] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: globals.node,
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // The front end is one tree under `@/`; climbing out of a folder with ../ is what the alias replaced.
      "no-restricted-imports": ["error", { patterns: [{ regex: "^\\.\\./", message: "Import through the @/ alias (e.g. @/components/ui)." }] }],
    },
  },
  {
    files: ["app/**/*.{ts,tsx}", "components/**/*.{ts,tsx}"],
    extends: [reactHooks.configs.flat.recommended],
    languageOptions: { globals: globals.browser },
    rules: { "react-hooks/exhaustive-deps": "error" },
  },
  {
    // server/ and bench/ keep short relative imports inside a module; only the front end must use @/ throughout.
    files: ["server/**", "bench/**", "db/**"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    // Asymmetric matchers (expect.any, expect.stringMatching) are typed `any` by vitest and Playwright.
    files: ["**/*.test.ts", "e2e/**"],
    rules: { "@typescript-eslint/no-unsafe-assignment": "off" },
  },
  { files: ["**/*.{js,mjs}"], extends: [tseslint.configs.disableTypeChecked] },
);
