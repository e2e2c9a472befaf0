import { execFile } from "node:child_process";
import { Kafka, logLevel, type Consumer } from "kafkajs";
import { E2E } from "@/playwright.config";
import { expect, login, signInAsNewUser, snapshot, test } from "./fixtures";

const bootstrap = `127.0.0.1:${E2E.kafkaPort}`;
const kafka = new Kafka({ brokers: [bootstrap], clientId: "e2e-billing-app", logLevel: logLevel.NOTHING });

function kcatProduce(topic: string, partition: number, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile("kcat", ["-P", "-b", bootstrap, "-t", topic, "-p", String(partition)], { timeout: 30_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`kcat failed: ${err.message}\n${stderr}`)) : resolve(),
    );
    child.stdin!.end(lines.join("\n") + "\n");
  });
}

/** A kafkajs consumer in group e2e-billing that commits as it reads. */
async function startConsumer(seen: string[]): Promise<Consumer> {
  const c = kafka.consumer({ groupId: "e2e-billing", maxWaitTimeInMs: 100, heartbeatInterval: 500, sessionTimeout: 10_000 });
  await c.connect();
  await c.subscribe({ topic: "payments", fromBeginning: true });
  await c.run({
    autoCommitInterval: 100,
    eachMessage: ({ message }) => {
      seen.push(message.value!.toString());
      return Promise.resolve();
    },
  });
  return c;
}

test("a consumer group's lag shows, and a replay to-earliest previews exact counts, re-reads everything and is audited", async ({ page }) => {
  test.setTimeout(120_000);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "payments", numPartitions: 2 }] });
  await admin.disconnect();
  await kcatProduce("payments", 0, Array.from({ length: 30 }, (_, i) => `p0-${i}`));
  await kcatProduce("payments", 1, Array.from({ length: 20 }, (_, i) => `p1-${i}`));

  const seen: string[] = [];
  let consumer = await startConsumer(seen);
  await expect.poll(() => seen.length, { timeout: 30_000 }).toBe(50);
  consumer.pause([{ topic: "payments" }]);
  await kcatProduce("payments", 0, ["late-1", "late-2", "late-3", "late-4", "late-5"]);

  await login(page);
  await page.getByRole("link", { name: "Consumer groups" }).click();
  await expect(page.getByRole("heading", { name: "Consumer groups" })).toBeVisible();
  const row = page.getByRole("row", { name: /e2e-billing/ });
  await expect(row).toContainText("Stable");
  // The committed offsets catch up within the auto-commit interval; then lag is exactly the 5 unread records.
  await expect(row.getByRole("cell").last()).toHaveText("5", { timeout: 15_000 });
  await page.getByLabel("Search groups").fill("billing");
  await expect(page).toHaveURL(/q=billing/);
  await snapshot(page, "groups-list");

  await row.getByRole("link", { name: "e2e-billing" }).click();
  await expect(page.getByRole("heading", { name: "e2e-billing" })).toBeVisible();
  await expect(page.getByTestId("group-lag")).toHaveText("5");
  const p0 = page.getByRole("row", { name: /payments\s*0/ }).first();
  await expect(p0).toContainText("e2e-billing-app");
  await snapshot(page, "group-detail");

  // While the consumer is connected, the preview names it and the reset cannot run.
  await page.getByRole("link", { name: "Reset offsets…" }).click();
  await expect(page.getByRole("heading", { name: /Reset offsets · e2e-billing/ })).toBeVisible();
  await page.getByLabel("Strategy").selectOption("to-earliest");
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByText(/connected member: e2e-billing-app/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Execute reset" })).toBeDisabled();
  await snapshot(page, "group-reset-blocked");

  await consumer.disconnect();
  await expect(page.getByText("Empty", { exact: true })).toBeVisible({ timeout: 15_000 });
  await page.getByRole("button", { name: "Preview" }).click();
  const preview = page.getByRole("table", { name: "Reset preview" });
  await expect(preview.getByRole("row", { name: /payments\s*0\s*30\s*→ 0\s*30\s*0/ })).toBeVisible();
  await expect(preview.getByRole("row", { name: /payments\s*1\s*20\s*→ 0\s*20\s*0/ })).toBeVisible();
  await expect(page.getByTestId("total-reread")).toHaveText("50");
  await expect(page.getByText(/connected member/)).toHaveCount(0);
  await expect(page.getByTestId("total-skipped")).toHaveText("0");
  await expect(page).toHaveURL(/strategy=to-earliest/);
  await snapshot(page, "group-reset-preview");
  await page.getByRole("button", { name: "Execute reset" }).click();
  await page.getByRole("button", { name: "Yes, reset offsets" }).click();
  await expect(page.getByText(/Reset applied to 2 partitions/)).toBeVisible();
  await snapshot(page, "group-reset-done");

  // The restarted consumer re-reads all 55 records from the beginning.
  seen.length = 0;
  consumer = await startConsumer(seen);
  await expect.poll(() => seen.length, { timeout: 30_000 }).toBe(55);
  expect(seen.filter((v) => v.startsWith("p0-"))).toHaveLength(30);
  await consumer.disconnect();

  await page.getByRole("link", { name: "audit trail", exact: true }).click();
  const event = page.locator("table.audit tbody tr").filter({ hasText: "groups.resetOffsets" }).filter({ hasText: "ok" });
  await expect(event).toHaveCount(1);
  await event.click();
  const details = page.getByRole("tree", { name: "Event details" });
  await expect(details).toContainText('"before"');
  await expect(details).toContainText('"offset": 30');
  await expect(details).toContainText('"after"');
  await expect(details).toContainText('"reread": 50');
  await snapshot(page, "group-reset-audit");

  // The server samples lag every 10 s; the group's lag-over-time chart draws those points.
  await page.goto("/groups/e2e-billing");
  await expect(page.getByRole("img", { name: "Lag over time" })).toBeVisible({ timeout: 30_000 });
  const d = await page.getByRole("img", { name: "Lag over time" }).locator("path.recharts-line-curve").getAttribute("d");
  expect((d ?? "").match(/[MLC]/g)?.length ?? 0).toBeGreaterThan(1);
  await snapshot(page, "group-detail-lag-history");
});

test("offsets export as CSV, import back from a file, and a group's topic offsets and then the group are deleted", async ({ page }) => {
  await login(page);
  await page.goto("/groups/e2e-billing");
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export offsets (CSV)" }).click();
  const file = await (await download).path();
  const { readFile } = await import("node:fs/promises");
  expect(await readFile(file, "utf8")).toBe("payments,0,35\npayments,1,20\n");

  // Import: the tool's --from-file format, uploaded; the preview shows what it will re-read.
  await page.goto("/groups/e2e-billing/reset?strategy=from-file");
  // Padded past what fits in a URL: the preview must still reach the server.
  const padding = (" ".repeat(100) + "\n").repeat(400);
  await page.getByLabel("Upload offsets CSV").setInputFiles({ name: "offsets.csv", mimeType: "text/csv", buffer: Buffer.from(`topic,partition,offset\npayments,0,10\n${padding}payments,1,20\n`) });
  await expect(page.getByLabel("Offsets CSV", { exact: true })).toHaveValue(/payments,0,10/);
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByRole("table", { name: "Reset preview" }).getByRole("row", { name: /payments\s*0\s*35\s*→ 10\s*25\s*0/ })).toBeVisible();
  await expect(page.getByTestId("total-reread")).toHaveText("25");
  await snapshot(page, "group-reset-from-file");
  await page.getByRole("button", { name: "Execute reset" }).click();
  await page.getByRole("button", { name: "Yes, reset offsets" }).click();
  await expect(page.getByText(/Reset applied to 2 partitions/)).toBeVisible();

  await page.goto("/groups/e2e-billing");
  await expect(page.getByTestId("group-lag")).toHaveText("25");
  await page.getByLabel("Topic whose offsets to delete").selectOption("payments");
  await page.getByRole("button", { name: "Delete offsets" }).click();
  await expect(page.getByText("Deleted the committed offsets of 2 partitions of payments.")).toBeVisible();
  await expect(page.getByText("This group has no committed offsets and no assigned partitions.")).toBeVisible();

  await page.getByRole("button", { name: "Delete group" }).click();
  await page.getByRole("alertdialog", { name: "Confirm delete" }).getByRole("button", { name: "Delete" }).click();
  await expect(page).toHaveURL(/\/groups$/);
  await expect(page.getByRole("link", { name: "e2e-billing" })).toHaveCount(0);
  await page.goto("/groups/e2e-billing");
  await expect(page.locator(".error-note")).toContainText('No consumer group "e2e-billing"');
  await snapshot(page, "group-missing");
});

test("a viewer sees groups but cannot reset or delete them", async ({ page, browser }) => {
  await login(page);
  const viewer = await signInAsNewUser(page, browser, "gwen", "viewer");
  // Another spec's groups may exist on this shared server; a cluster with none is the second broker's.
  await viewer.goto("/groups");
  await expect(viewer.getByRole("heading", { name: "Consumer groups" })).toBeVisible();
  await snapshot(viewer, "groups-viewer");
  // A group that never existed: the preview plans it (a reset would create its offsets), but a viewer cannot run it.
  // Its partitions have no committed offset, so their lag counts from the log start, and to-latest skips all 55 records.
  await viewer.goto("/groups/e2e-billing/reset?scope=topic&topic=payments&strategy=to-latest");
  await expect(viewer.getByLabel("Strategy")).toHaveValue("to-latest");
  await viewer.getByRole("button", { name: "Preview" }).click();
  await expect(viewer.getByText(/needs the operator role; you can preview only/)).toBeVisible();
  await expect(viewer.getByTestId("total-skipped")).toHaveText("55");
  await expect(viewer.getByRole("button", { name: "Execute reset" })).toHaveCount(0);
  await snapshot(viewer, "group-reset-viewer");
});
