import { defineConfig } from "@playwright/test";

/**
 * End-to-end: a real `tributary start` (fresh data dir, fixed admin password) driven by the
 * system Chromium. Ports sit high so a developer's own `npm start` on 3000/9092 doesn't collide;
 * E2E_HTTP_PORT and E2E_KAFKA_PORT move them when two checkouts run the suite at once.
 */
export const E2E = {
  httpPort: Number(process.env.E2E_HTTP_PORT ?? 39180),
  kafkaPort: Number(process.env.E2E_KAFKA_PORT ?? 39192),
  dataDir: ".e2e-data",
  adminPassword: "e2e-admin-password",
};

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results/e2e",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]],
  use: {
    baseURL: `http://127.0.0.1:${E2E.httpPort}`,
    viewport: { width: 1280, height: 800 },
    screenshot: "on",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
    },
  },
  webServer: {
    command: `rm -rf ${E2E.dataDir} && node bin/tributary.mjs start --http-port ${E2E.httpPort} --kafka-port ${E2E.kafkaPort} --data-dir ${E2E.dataDir} --admin-password ${E2E.adminPassword} --log-level warn`,
    url: `http://127.0.0.1:${E2E.httpPort}/api/trpc/health`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
  },
});
