import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { E2E } from "@/playwright.config";
import { clusterDatabase } from "@/server/cluster/test-support";
import { KafkaClient } from "@/server/kafka/client";
import { BrokerCluster } from "@/server/testing/broker-cluster";
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

test.describe("moving partitions and leaders from the console", () => {
  test.describe.configure({ timeout: 180_000 });
  let db: Awaited<ReturnType<typeof clusterDatabase>>;
  let cluster: BrokerCluster;
  const dirs: string[] = [];
  /** How many of ledger's partitions have a replica on broker 3, as the cluster placed them. */
  let onThree = 0;

  test.beforeAll(async () => {
    db = await clusterDatabase(process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
    cluster = await BrokerCluster.start({
      nodeIds: [1, 2, 3],
      databaseUrl: db.url,
      sessionTimeoutMs: 3000,
      dataDir: () => {
        const d = mkdtempSync(join(tmpdir(), "tributary-e2e-moves-"));
        dirs.push(d);
        return d;
      },
    });
    const client = new KafkaClient({ bootstrap: cluster.bootstrap() });
    try {
      // Just started, the broker asked may still be joining: it answers "retry" until it has read the live brokers.
      await expect(() => client.admin.createTopics([{ name: "ledger", numPartitions: 3, replicationFactor: 2 }])).toPass({ timeout: 10_000 });
      // Same replicas in a new order: the second replica becomes preferred while the first keeps leading.
      // The topic reaches the broker answering metadata a moment after the create.
      let md = await client.admin.metadata(["ledger"]);
      await expect(async () => {
        md = await client.admin.metadata(["ledger"]);
        expect(md.topics[0]?.partitions).toHaveLength(3);
      }).toPass({ timeout: 10_000 });
      const p0 = md.topics[0].partitions.find((p) => p.partition === 0)!;
      await client.admin.alterPartitionReassignments([{ topic: "ledger", partition: 0, replicas: [...p0.replicas].reverse() }]);
      onThree = md.topics[0].partitions.filter((p) => p.replicas.includes(3)).length;
    } finally {
      await client.close();
    }
    // Into every partition (librdkafka's sticky partitioner would put them all in one), so each drain move has bytes to copy.
    for (const partition of [0, 1, 2]) await kcat(["-b", cluster.bootstrap().join(","), "-t", "ledger", "-p", String(partition)], Array.from({ length: 70 }, (_, i) => `line-${partition}-${i}-${"y".repeat(60)}`));
  });

  test.afterAll(async () => {
    await cluster?.close();
    await db?.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("an admin previews and applies a preferred election and a drain on an added cluster; the embedded broker refuses a drain it cannot do", async ({ page }) => {
    await login(page);
    const added = await page.request.post("/api/trpc/clusters.create", { data: { name: "moves", bootstrapServers: cluster.bootstrap().join(","), tls: false, saslMechanism: null, saslUsername: null } });
    expect(added.ok(), await added.text()).toBe(true);
    await page.goto("/brokers?cluster=moves");
    await expect(page.getByText(/3 brokers on moves/)).toBeVisible();

    await page.getByRole("button", { name: "Preview election" }).click();
    const preview = page.getByRole("table", { name: "Election preview" });
    await expect(preview.getByRole("row", { name: /ledger/ })).toHaveCount(1);
    await expect(preview.getByRole("row", { name: /ledger/ })).toContainText("ready");
    await screenshots(page, "brokers-election-preview");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.getByRole("button", { name: "Yes, elect" }).click();
    await expect(page.getByRole("table", { name: "Election results" })).toContainText("elected: the preferred replica leads");

    await page.getByLabel("Broker to drain").selectOption("3");
    await page.getByRole("button", { name: "Preview drain" }).click();
    const drain = page.getByRole("table", { name: "Drain preview" });
    expect(onThree).toBeGreaterThan(0);
    await expect(drain.getByRole("row", { name: /ledger/ })).toHaveCount(onThree);
    await expect(drain.getByTestId("total-bytes")).toHaveText(/\d+(\.\d+)? KiB/);
    await screenshots(page, "brokers-drain-preview");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.getByRole("button", { name: "Yes, drain" }).click();
    await expect(page.getByText(`Started ${onThree} reassignments off broker 3.`, { exact: false })).toBeVisible();
    await expect(page.getByTestId("no-reassignments")).toBeVisible({ timeout: 30_000 });
    const broker3 = page.getByRole("row").filter({ has: page.getByTestId("broker-3") });
    await expect(broker3.getByRole("cell").nth(4)).toHaveText("0", { timeout: 15_000 });
    await screenshots(page, "brokers-drained");

    await page.goto("/audit?action=brokers.drain");
    await expect(page.getByText("moves/broker-3")).toBeVisible();

    await page.goto("/brokers");
    await page.getByLabel("Broker to drain").selectOption({ index: 1 });
    await page.getByRole("button", { name: "Preview drain" }).click();
    await expect(page.getByText(/only 0 other live brokers remain \(none\)\. Add a broker/)).toBeVisible();
    await screenshots(page, "brokers-drain-refused");
  });
});
