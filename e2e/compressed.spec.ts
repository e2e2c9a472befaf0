import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { E2E } from "@/playwright.config";
import { forEachBatch } from "@/server/kafka/records/batch";
import { codecName } from "@/server/kafka/records/compression";
import { expect, login, snapshot, test } from "./fixtures";

const bootstrap = `127.0.0.1:${E2E.kafkaPort}`;
const CODECS = ["zstd", "snappy", "lz4", "gzip"] as const;

function kcat(args: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile("kcat", args, { timeout: 30_000 }, (err, _out, stderr) => (err ? reject(new Error(`kcat failed: ${err.message}\n${stderr}`)) : resolve()));
    child.stdin!.end(input);
  });
}

/** librdkafka sends a batch uncompressed when that is smaller; values like these compress well. */
const value = (n: number, codec: string) => JSON.stringify({ n, codec, note: "and again ".repeat(20) });

/** The codec of every batch as the broker stored it, so the test knows the batches really are compressed. */
async function codecsOnDisk(topic: string): Promise<Set<string>> {
  const out = new Set<string>();
  forEachBatch(await readFile(join(E2E.dataDir, "log", `${topic}-0`, "00000000000000000000.log")), (h) => out.add(codecName(h.compression)));
  return out;
}

test("topics kcat compressed with zstd, snappy, lz4 and gzip browse, filter, download and tail like any other", async ({ page }) => {
  for (const codec of CODECS) {
    const lines = Array.from({ length: 12 }, (_, i) => `k${i % 4}:${value(i, codec)}`).join("\n");
    await kcat(["-P", "-b", bootstrap, "-t", `comp-${codec}`, "-p", "0", "-z", codec, "-K:", "-H", `codec=${codec}`], `${lines}\n`);
    expect(await codecsOnDisk(`comp-${codec}`)).toEqual(new Set([codec]));
  }
  await login(page);
  const rows = page.getByRole("table", { name: "Records" }).locator("tbody tr.clickable");
  const search = async (fill: Record<string, string>) => {
    for (const [label, text] of Object.entries(fill)) await page.getByLabel(label, { exact: true }).fill(text);
    await page.getByRole("button", { name: "Search" }).click();
  };

  for (const codec of CODECS) {
    await page.goto(`/topics/comp-${codec}/messages`);
    await expect(rows).toHaveCount(12);
    await search({ "Key filter": "k1" });
    await expect(rows).toHaveCount(3);
    await search({ "Key filter": "", "Header name": "codec", "Header value": codec });
    await expect(rows).toHaveCount(12);
    await search({ "Header value": "none" });
    await expect(rows).toHaveCount(0);
    await search({ "Header name": "", "Header value": "", "Value contains": '"n":7,' });
    await expect(rows).toHaveCount(1);
    await search({ "Value contains": "", "JSONata filter": "n >= 9" });
    await expect(rows).toHaveCount(3);
    await rows.first().click();
    await expect(page.getByLabel("Record value")).toContainText(`"codec": "${codec}"`);
    await expect(page.getByRole("table", { name: "Headers" })).toContainText(`codec${codec}`);
    await expect(page.getByText(/cluster refused/i)).toHaveCount(0);
    await snapshot(page, `messages-${codec}`);
  }

  // Download what the page shows, as JSON lines, from a zstd topic.
  await page.goto("/topics/comp-zstd/messages");
  await expect(rows).toHaveCount(12);
  const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download JSON lines" }).click()]);
  const downloaded = (await (await dl.createReadStream()).toArray()).join("").trim().split("\n").map((l) => JSON.parse(l) as { offset: number; value: string; headers: Record<string, string> });
  expect(downloaded.map((r) => r.offset).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  expect(JSON.parse(downloaded[0].value)).toMatchObject({ codec: "zstd" });
  expect(downloaded[0].headers).toEqual({ codec: "zstd" });

  // A live tail follows records as kcat compresses them.
  await page.getByRole("button", { name: "Live tail" }).click();
  await expect(page.getByText("Following new records")).toBeVisible();
  await page.waitForTimeout(500);
  await kcat(["-P", "-b", bootstrap, "-t", "comp-zstd", "-p", "0", "-z", "zstd", "-K:"], `live:${value(99, "tailed")}\n`);
  await expect(page.getByRole("table", { name: "Records" })).toContainText("tailed");
  await page.getByRole("button", { name: "Stop live tail" }).click();
  expect(await codecsOnDisk("comp-zstd")).toEqual(new Set(["zstd"]));
});
