import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // The `@/` alias of tsconfig.json: vite does not read tsconfig paths by itself.
  resolve: { alias: [{ find: /^@\//, replacement: fileURLToPath(new URL("./", import.meta.url)) }] },
  test: {
    include: ["server/**/*.test.ts", "db/**/*.test.ts", "bench/**/*.test.ts", "components/**/*.test.ts"],
    exclude: ["node_modules", "e2e", ".next", "dist", "data"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
