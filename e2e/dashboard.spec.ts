import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { E2E } from "@/playwright.config";
import { expect, login, screenshots, snapshot, test, waitForPort } from "./fixtures";

const bootstrap = `127.0.0.1:${E2E.kafkaPort}`;

function kcatProduce(topic: string, lines: string[], to = bootstrap): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile("kcat", ["-P", "-b", to, "-t", topic], { timeout: 30_000 }, (err, _out, stderr) => (err ? reject(new Error(`kcat failed: ${err.message}\n${stderr}`)) : resolve()));
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

test("a cluster added on the Clusters page charts its records per second, sampled by the console", async ({ page }) => {
  test.setTimeout(150_000);
  const port = E2E.kafkaPort + 2;
  const remote = `127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), "tributary-sampled-"));
  let other: ChildProcess | undefined;
  try {
    other = spawn("node", ["bin/tributary.mjs", "broker", "--kafka-port", String(port), "--data-dir", dir, "--log-level", "warn"], { stdio: "ignore" });
    await waitForPort(port);
    await kcatProduce("shipments", ["first"], remote);

    await login(page);
    await page.goto("/clusters");
    await page.getByRole("button", { name: "Add cluster" }).click();
    await page.getByLabel("Name", { exact: true }).fill("sampled");
    await page.getByLabel("Bootstrap servers").fill(remote);
    await page.getByRole("button", { name: "Add cluster" }).last().click();
    await expect(page.getByText(/Added sampled/)).toBeVisible();

    await page.goto("/?cluster=sampled");
    await expect(page.getByText(/Sampled by the console every 10 s/)).toBeVisible();
    await expect(page.getByText("live, sampled every 10 s")).toBeVisible();
    // Records only: no bytes chart, which would need the cluster's own metrics.
    await expect(page.getByRole("heading", { name: "Bytes per second" })).toHaveCount(0);
    // Traffic over a few samples: kcat produces, and a kcat consumer group reads and commits.
    const until = Date.now() + 35_000;
    for (let i = 0; Date.now() < until; i++) {
      await kcatProduce("shipments", Array.from({ length: 100 }, (_, j) => `shipment-${i}-${j}`), remote);
      await page.waitForTimeout(2000);
    }
    await new Promise<void>((resolve, reject) => execFile("kcat", ["-b", remote, "-G", "dispatch", "-o", "beginning", "-e", "-q", "shipments"], { timeout: 30_000 }, (err) => (err ? reject(new Error(`kcat consumer failed: ${err.message}`)) : resolve())));
    await expect.poll(() => linePoints(page, "Records per second"), { timeout: 40_000 }).toBeGreaterThan(2);
    // The y axis reached the produced rate (about 50 records/s between samples).
    await expect(page.getByRole("img", { name: "Records per second" }).locator("text").filter({ hasText: /^[1-9]\d* rec\/s$/ }).first()).toBeVisible();
    await expect(page.getByRole("row", { name: /shipments/ }).first()).toBeVisible();
    await screenshots(page, "dashboard-sampled-cluster");

    // The topic page charts the same samples, with the same note.
    await page.goto("/topics/shipments?cluster=sampled");
    await expect(page.getByTestId("throughput-chart")).toContainText(/Sampled by the console every 10 s/);
    await expect.poll(() => linePoints(page, "Records per second"), { timeout: 20_000 }).toBeGreaterThan(2);
    await screenshots(page, "topic-sampled-cluster");
  } finally {
    if (other && other.exitCode === null) {
      other.kill("SIGTERM");
      await once(other, "exit");
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
