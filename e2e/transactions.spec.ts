import { Kafka, logLevel } from "kafkajs";
import { E2E } from "@/playwright.config";
import { expect, login, screenshots, test } from "./fixtures";

const kafka = new Kafka({ brokers: [`127.0.0.1:${E2E.kafkaPort}`], clientId: "e2e-ledger-app", logLevel: logLevel.NOTHING });

test("an open transaction is listed, holds the last stable offset back, and the browser reads either isolation", async ({ page }) => {
  test.setTimeout(120_000);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "ledger", numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer({ transactionalId: "ledger-writer", maxInFlightRequests: 1, idempotent: true, transactionTimeout: 60_000 });
  await producer.connect();
  try {
    const send = async (values: string[]) => {
      const txn = await producer.transaction();
      await txn.send({ topic: "ledger", messages: values.map((value) => ({ value, partition: 0 })) });
      return txn;
    };
    await (await send(["committed-1", "committed-2"])).commit(); // offsets 0-1, marker 2
    await (await send(["aborted-1"])).abort(); // offset 3, marker 4
    const open = await send(["open-1", "open-2"]); // offsets 5-6

    await login(page);
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Transactions" }).click();
    await expect(page.getByRole("heading", { name: "Transactions" })).toBeVisible();
    const row = page.getByRole("row", { name: /ledger-writer/ });
    await expect(row).toContainText("Ongoing");
    await expect(row).toContainText("ledger [0]");
    await expect(row.getByRole("cell").nth(5)).toHaveText(/^\d+ s$/);
    await screenshots(page, "transactions");

    await page.goto("/topics/ledger");
    const partition = page.getByRole("row").filter({ has: page.getByRole("link", { name: "browse" }) }).first();
    await expect(partition.getByRole("cell").nth(2)).toHaveText("7");
    await expect(partition.getByRole("cell").nth(3)).toHaveText("5");
    await screenshots(page, "transactions-topic-lso");

    await page.goto("/topics/ledger/messages");
    const records = page.getByRole("table", { name: "Records" });
    await expect(records.locator("tbody tr.clickable")).toHaveCount(2);
    await expect(records).not.toContainText("aborted-1");
    await expect(records).not.toContainText("open-1");
    await page.getByLabel("Isolation").selectOption("uncommitted");
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(/iso=uncommitted/);
    await expect(records.locator("tbody tr.clickable")).toHaveCount(5);
    await expect(records).toContainText("open-2");
    await screenshots(page, "transactions-read-uncommitted");

    await open.commit();
    await page.goto("/transactions");
    await expect(page.getByText("No open transactions on this cluster.")).toBeVisible();
  } finally {
    await producer.disconnect();
  }
});
