import { Kafka, logLevel, type Producer } from "kafkajs";
import { E2E } from "@/playwright.config";
import { expect, login, screenshots, signInAsNewUser, snapshot, test } from "./fixtures";

const kafka = new Kafka({ brokers: [`127.0.0.1:${E2E.kafkaPort}`], clientId: "e2e-ledger-app", logLevel: logLevel.NOTHING });

/** A new topic and a connected kafkajs transactional producer, as an application writing to it would have. */
async function transactionalWriter(topic: string, numPartitions: number, transactionalId: string): Promise<Producer> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions }] });
  await admin.disconnect();
  const producer = kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true, transactionTimeout: 60_000 });
  await producer.connect();
  return producer;
}

test("an open transaction is listed, holds the last stable offset back, and the browser reads either isolation", async ({ page }) => {
  test.setTimeout(120_000);
  const producer = await transactionalWriter("ledger", 1, "ledger-writer");
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

test("an admin aborts a hanging transaction through its preview; its producer is fenced, a viewer cannot abort, and the audit trail shows it", async ({ page, browser }) => {
  test.setTimeout(120_000);
  const producer = await transactionalWriter("settlements", 2, "settlement-batch");
  try {
    const txn = await producer.transaction();
    await txn.send({ topic: "settlements", messages: ["s-0", "s-1", "s-2"].map((value, i) => ({ value, partition: i % 2 })) });

    // A viewer sees the transaction but no enabled Abort.
    await login(page);
    const viewer = await signInAsNewUser(page, browser, "tess", "viewer");
    await viewer.goto("/transactions");
    await expect(viewer.getByRole("row", { name: /settlement-batch/ })).toContainText("Ongoing");
    await expect(viewer.getByRole("button", { name: "Abort settlement-batch" })).toBeDisabled();
    await expect(viewer.getByRole("button", { name: "Abort settlement-batch" })).toHaveAttribute("title", "Aborting a transaction needs the admin role.");
    await expect(viewer.getByText("Aborting a hanging transaction needs the admin role; you can see the transactions only.")).toBeVisible();
    await snapshot(viewer, "transactions-viewer");

    await page.goto("/transactions");
    const row = page.getByRole("row", { name: /settlement-batch/ });
    await expect(row).toContainText("settlements [0, 1]");
    await row.getByRole("button", { name: "Abort settlement-batch" }).click();
    const dialog = page.getByRole("dialog", { name: "Abort transaction settlement-batch" });
    await expect(dialog).toContainText("epoch 0");
    await expect(dialog).toContainText("Ongoing");
    const held = dialog.getByRole("table", { name: "Partitions held back" });
    await expect(held.getByRole("row", { name: /settlements\s*0\s*0\s*2\s*2/ })).toBeVisible();
    await expect(held.getByRole("row", { name: /settlements\s*1\s*0\s*1\s*1/ })).toBeVisible();
    await expect(dialog).toContainText("read past the 3 records held back now");
    await expect(dialog).toContainText("PRODUCER_FENCED");
    await screenshots(page, "transactions-abort-preview");

    await dialog.getByRole("button", { name: "Abort transaction" }).click();
    await expect(dialog.getByRole("status")).toContainText(/Aborted\. Producer \d+ is now at epoch [1-9]/);
    await expect(held.getByRole("row", { name: /settlements\s*0\s*3\s*3\s*0/ })).toBeVisible();
    await expect(page.getByText("No open transactions on this cluster.")).toBeVisible();
    await screenshots(page, "transactions-aborted");

    // The old incarnation is fenced: its transaction can no longer commit.
    await expect(txn.commit()).rejects.toMatchObject({ type: expect.stringMatching(/^(INVALID_PRODUCER_EPOCH|PRODUCER_FENCED)$/) });

    await page.goto("/topics/settlements");
    const partition0 = page.getByRole("row").filter({ has: page.getByRole("link", { name: "browse" }) }).first();
    // Two records and the abort marker: the last stable offset is the log end again.
    await expect(partition0.getByRole("cell").nth(2)).toHaveText("3");
    await expect(partition0.getByRole("cell").nth(3)).toHaveText("3");

    await page.goto("/audit?action=transactions.abort&target=settlement-batch");
    const event = page.locator("table.audit tbody tr").filter({ hasText: "transactions.abort" }).filter({ hasText: "ok" });
    await expect(event).toHaveCount(1);
    await expect(event).toContainText("transaction embedded/settlement-batch");
    await event.click();
    const details = page.getByRole("tree", { name: "Event details" });
    await expect(details).toContainText('"before"');
    await expect(details).toContainText('"state": "Ongoing"');
    await expect(details).toContainText('"state": "aborted"');
    await snapshot(page, "transactions-abort-audit");
  } finally {
    await producer.disconnect();
  }
});
