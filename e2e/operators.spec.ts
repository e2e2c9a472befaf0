import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { E2E } from "@/playwright.config";
import { forEachBatch } from "@/server/kafka/records/batch";
import { codecName } from "@/server/kafka/records/compression";
import { expect, login, screenshots, test } from "./fixtures";

const bootstrap = `127.0.0.1:${E2E.kafkaPort}`;
const kafka = new Kafka({ brokers: [bootstrap], clientId: "e2e-operators", logLevel: logLevel.NOTHING });

function kcat(args: string[], input: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile("kcat", ["-P", "-b", bootstrap, ...args], { timeout: 30_000 }, (err, _out, stderr) => (err ? reject(new Error(`kcat failed: ${err.message}\n${stderr}`)) : resolve()));
    child.stdin!.end(input);
  });
}

/** The codec of every batch of partition 0 as the broker stored it. */
async function codecsOnDisk(topic: string): Promise<string[]> {
  const out: string[] = [];
  forEachBatch(await readFile(join(E2E.dataDir, "log", `${topic}-0`, "00000000000000000000.log")), (h) => out.push(codecName(h.compression)));
  return out;
}

test("a group's lag counts the partitions it never committed on, and a shift leaves them be", async ({ page }) => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "wide", numPartitions: 6 }] });
  for (let p = 0; p < 6; p++) await kcat(["-t", "wide", "-p", String(p)], Array.from({ length: 5 }, (_, i) => `w${p}-${i}`).join("\n") + "\n");
  await admin.setOffsets({ groupId: "half-read", topic: "wide", partitions: [0, 1, 2, 3].map((partition) => ({ partition, offset: "2" })) });
  await admin.disconnect();

  await login(page);
  await page.goto("/groups");
  const row = page.getByRole("row", { name: /half-read/ });
  // 4 partitions × 3 unread + 2 never-read partitions × 5.
  await expect(row.getByRole("cell").last()).toHaveText("22");
  await expect(row).toContainText("6 (2 no offset)");
  await screenshots(page, "groups-list");

  await row.getByRole("link", { name: "half-read" }).click();
  await expect(page.getByTestId("group-lag")).toHaveText("22");
  const p5 = page.getByRole("row", { name: /wide\s*5/ });
  await expect(p5).toContainText("no offset");
  await expect(p5).toContainText("earliest → 0 · latest → 5");
  await expect(page.getByText("2 without a committed offset")).toBeVisible();
  await screenshots(page, "group-detail");

  // The dashboard shows the lag sampler's latest pass, taken every 10 seconds.
  await expect(async () => {
    await page.goto("/");
    expect(Number(await page.getByTestId("total-lag").textContent({ timeout: 5_000 }))).toBeGreaterThanOrEqual(22);
  }).toPass({ timeout: 40_000 });
  await screenshots(page, "dashboard");

  await page.goto("/groups/half-read/reset");
  await page.getByLabel("Strategy").selectOption("shift-by");
  await page.getByLabel("Shift by").fill("-1");
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByRole("table", { name: "Reset preview" }).getByRole("row", { name: /wide\s*3\s*2\s*→ 1/ })).toBeVisible();
  await expect(page.getByLabel("Partitions left as they are")).toContainText("wide-4, wide-5: no committed offset to shift from");
  await expect(page.getByTestId("total-reread")).toHaveText("4");
  await screenshots(page, "group-reset");
});

test("messages: times in UTC or local, a JSON tree that copies paths, quick ranges, binary values in hex, a pausable tail", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await kcat(["-t", "shop", "-p", "0", "-K:"], `o1:${JSON.stringify({ order: { id: 7, items: [{ sku: "tea", qty: 2 }] }, paid: true })}\n`);
  await kcat(["-t", "shop", "-p", "0"], Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0a]));

  await login(page);
  await page.goto("/topics/shop/messages");
  const rows = page.getByRole("table", { name: "Records" }).locator("tbody tr.clickable");
  await expect(rows).toHaveCount(2);
  await page.getByRole("group", { name: "Time zone" }).getByRole("button", { name: "UTC" }).click();
  await expect(rows.first()).toContainText(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC/);
  await expect(rows.first()).toContainText(/ago|just now/);
  await page.getByRole("group", { name: "Time zone" }).getByRole("button", { name: "Local" }).click();
  await expect(rows.first()).toContainText(/UTC[+-]\d\d:\d\d/);
  // Bytes that are not UTF-8: hex in the table and the detail, and a base64 copy.
  await expect(rows.nth(1)).toContainText("ff fe 00 41 (4 bytes, not UTF-8)");

  await rows.first().click();
  const tree = page.getByRole("tree", { name: "Record value" });
  await expect(tree).toContainText('"sku": "tea"');
  const sku = tree.locator(".json-line", { hasText: '"sku"' });
  await sku.hover();
  await sku.getByRole("button", { name: "Copy path order.items[0].sku" }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe("order.items[0].sku");
  // Folding the order hides what is inside it.
  await tree.locator("summary", { hasText: '"order": {' }).first().click();
  await expect(tree.getByText('"sku": ')).toBeHidden();
  await screenshots(page, "messages-json-tree");

  await rows.first().click();
  await rows.nth(1).click();
  await expect(page.getByLabel("Record value")).toContainText("ff fe 00 41");
  await page.getByRole("button", { name: "Copy value as base64" }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(Buffer.from([0xff, 0xfe, 0x00, 0x41]).toString("base64"));

  // A quick range puts epoch milliseconds in the link; such a link opens the same search.
  await page.getByRole("button", { name: "Last 15 min" }).click();
  await expect(page).toHaveURL(/start=timestamp&at=\d{13}/);
  await expect(rows).toHaveCount(2);
  await page.goto(`/topics/shop/messages?start=timestamp&at=${Date.now() + 60_000}`);
  await expect(page.getByText(/No records/i).first()).toBeVisible();

  await page.goto("/topics/shop/messages");
  await page.getByRole("button", { name: "Live tail" }).click();
  await expect(page.getByText("Following new records")).toBeVisible();
  await page.getByRole("button", { name: "Pause" }).click();
  await page.waitForTimeout(500);
  await kcat(["-t", "shop", "-p", "0"], "while paused\n");
  await expect(page.getByText("Paused · 1 new record waiting")).toBeVisible();
  await expect(page.getByRole("table", { name: "Records" })).toHaveCount(0);
  await page.getByRole("button", { name: "Resume" }).click();
  await expect(page.getByRole("table", { name: "Records" })).toContainText("while paused");
  await page.getByRole("button", { name: "Stop live tail" }).click();
});

test("the Produce page sends a tombstone compressed with the codec picked", async ({ page }) => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "compacted", numPartitions: 1, configEntries: [{ name: "cleanup.policy", value: "compact" }] }] });
  await admin.disconnect();
  await login(page);
  await page.goto("/topics/compacted/produce");
  await page.getByLabel("Key").fill("user-1");
  await page.getByLabel("Compression").selectOption("zstd");
  await page.getByLabel("Tombstone (null value)").check();
  await expect(page.getByLabel("Value", { exact: true })).toBeDisabled();
  await screenshots(page, "produce");
  await page.getByRole("button", { name: "Produce", exact: true }).click();
  await expect(page.getByText("Produced a tombstone to partition 0 at offset 0 (zstd).")).toBeVisible();
  expect(await codecsOnDisk("compacted")).toEqual(["zstd"]);

  await page.goto("/topics/compacted/messages");
  const row = page.getByRole("table", { name: "Records" }).locator("tbody tr.clickable");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("user-1");
  await expect(row).toContainText("null");
});

test("screenshots of the topic, cluster and not-found pages at both widths", async ({ page }) => {
  await login(page);
  await page.goto("/topics");
  await expect(page.getByRole("link", { name: "shop" })).toBeVisible();
  await screenshots(page, "topics");
  await page.goto("/topics/shop");
  await expect(page.getByRole("heading", { name: "shop" })).toBeVisible();
  await screenshots(page, "topic");
  await page.goto("/clusters");
  await expect(page.getByRole("row", { name: /embedded/ })).toContainText("1 broker");
  await page.getByRole("button", { name: "Add cluster" }).click();
  await page.getByLabel("SASL mechanism").selectOption("scram-sha-512");
  await expect(page.getByRole("group", { name: "SASL" })).toContainText("SASL username");
  await screenshots(page, "clusters-form");
  await page.goto("/topics?cluster=nowhere");
  await expect(page.getByRole("heading", { name: "Cluster not found" })).toBeVisible();
  await screenshots(page, "cluster-not-found");
});
