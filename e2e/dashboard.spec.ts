import { execFile } from "node:child_process";
import { E2E } from "@/playwright.config";
import { expect, login, snapshot, test } from "./fixtures";

const bootstrap = `127.0.0.1:${E2E.kafkaPort}`;

function kcatProduce(topic: string, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile("kcat", ["-P", "-b", bootstrap, "-t", topic], { timeout: 30_000 }, (err, _out, stderr) => (err ? reject(new Error(`kcat failed: ${err.message}\n${stderr}`)) : resolve()));
    child.stdin!.end(lines.join("\n") + "\n");
  });
}

/** The number of points a recharts line draws: one move plus one segment per further point. */
async function linePoints(page: import("@playwright/test").Page, chart: string): Promise<number> {
  const paths = page.getByRole("img", { name: chart }).locator("path.recharts-line-curve");
  const ds = await paths.evaluateAll((els) => els.map((e) => e.getAttribute("d") ?? ""));
  return Math.max(0, ...ds.map((d) => (d.match(/[MLC]/g) ?? []).length));
}

test("the dashboard charts live throughput per second, per topic, and shows disk and lag", async ({ page }) => {
  test.setTimeout(90_000);
  await login(page);
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

  // Traffic over a few seconds, so the per-second chart has several non-zero points.
  for (let i = 0; i < 4; i++) {
    await kcatProduce("clickstream", Array.from({ length: 200 }, (_, j) => `click-${i}-${j}`));
    await page.waitForTimeout(1100);
  }
  await expect.poll(() => linePoints(page, "Records per second"), { timeout: 20_000 }).toBeGreaterThan(5);
  await expect.poll(() => linePoints(page, "Bytes per second"), { timeout: 10_000 }).toBeGreaterThan(5);
  // The y axis reached the produced rate: some tick reads at least 100 rec/s.
  await expect(page.getByRole("img", { name: "Records per second" }).locator("text").filter({ hasText: /^[1-9]\d{2} rec\/s$/ }).first()).toBeVisible();

  await expect(page.getByRole("row", { name: /clickstream/ }).first()).toBeVisible();
  const disk = page.locator("section.card").filter({ has: page.getByRole("heading", { name: "Disk used per topic" }) });
  await expect(disk.getByRole("row", { name: /clickstream\s+1\s+\d+(\.\d+)? KiB/ })).toBeVisible();
  await expect(page.getByTestId("connections")).not.toHaveText("");
  await snapshot(page, "dashboard");

  // Per topic: the selection is in the URL, so the view can be shared.
  await page.getByLabel("Topic").selectOption("clickstream");
  await expect(page).toHaveURL(/topic=clickstream/);
  await expect(page.getByRole("heading", { name: "Records per second · clickstream" })).toBeVisible();
  await expect.poll(() => linePoints(page, "Records per second")).toBeGreaterThan(5);
  await snapshot(page, "dashboard-topic");

  // Longer ranges come from the minute rollups.
  await page.getByRole("button", { name: "24 h" }).click();
  await expect(page).toHaveURL(/range=24h/);
  await expect(page.getByText(/from rollups, 10 min steps/)).toBeVisible();
  await snapshot(page, "dashboard-24h");
});
