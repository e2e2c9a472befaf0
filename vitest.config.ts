import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["server/**/*.test.ts", "db/**/*.test.ts", "bench/**/*.test.ts", "components/**/*.test.ts"],
    exclude: ["node_modules", "e2e", ".next", "dist", "data"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
