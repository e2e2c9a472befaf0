import { E2E } from "@/playwright.config";
import { expect, kcat, login, screenshots, test } from "./fixtures";

const bootstrap = `127.0.0.1:${E2E.kafkaPort}`;

test("the brokers page, the topic's replication and the dashboard's cluster health", async ({ page }) => {
  await kcat(["-t", "brokers-ledger"], Array.from({ length: 300 }, (_, i) => `entry-${i}-${"x".repeat(40)}`));
  await login(page);

  await page.getByRole("link", { name: "Brokers", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Brokers", level: 1 })).toBeVisible();
  await expect(page.getByText(/1 broker on embedded/)).toBeVisible();
  const row = page.getByRole("row").filter({ has: page.getByTestId(/^broker-\d+$/) });
  await expect(row).toHaveCount(1);
  await expect(row.getByText("controller")).toBeVisible();
  await expect(row.getByText(bootstrap)).toBeVisible();
  // The broker's disk holds what kcat wrote: KiB, not raw bytes.
  await expect(row.getByText(/\d+(\.\d+)? KiB/)).toBeVisible();
  await expect(page.getByTestId("under-replicated")).toHaveText("0");
  await expect(page.getByTestId("offline")).toHaveText("0");
  await screenshots(page, "brokers");

  await page.goto("/topics/brokers-ledger");
  await expect(page.getByRole("heading", { name: "brokers-ledger" })).toBeVisible();
  await expect(page.getByRole("columnheader", { name: "In sync (ISR)" })).toBeVisible();
  await expect(page.getByText("Every partition has its full ISR and a leader.")).toBeVisible();
  await screenshots(page, "topic-replication");

  await page.goto("/");
  const health = page.getByTestId("cluster-health");
  await expect(health.getByText("healthy")).toBeVisible();
  await expect(health.getByText(/Brokers up\s*1/)).toBeVisible();
  await health.getByRole("link", { name: "See the brokers" }).click();
  await expect(page).toHaveURL(/\/brokers/);
  await page.goto("/");
  await expect(page.getByTestId("cluster-health")).toBeVisible();
  await screenshots(page, "dashboard-cluster-health");
});
