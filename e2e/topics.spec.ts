import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { E2E } from "@/playwright.config";
import { addUser, expect, login, snapshot, test, waitForPort } from "./fixtures";

const bootstrap = `127.0.0.1:${E2E.kafkaPort}`;

function kcat(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile("kcat", args, { timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`kcat failed: ${err.message}\n${stderr}`)) : resolve(stdout)));
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** A datetime-local input's value for a moment, in the browser's (= this machine's) zone. */
function localInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

test("create a topic, produce from the console and kcat, browse by offset and time, filter, page, purge and edit configs", async ({ page }) => {
  await login(page);
  await page.getByRole("link", { name: "Topics" }).click();
  await expect(page.getByRole("heading", { name: "Topics" })).toBeVisible();

  // Create, with Kafka's name rules checked as you type and a preset filling the configs.
  await page.getByRole("button", { name: "Create topic" }).click();
  await page.getByLabel("Topic name").fill("bad name");
  await page.getByLabel("Partitions", { exact: true }).fill("2");
  await expect(page.getByText("Name: use only ASCII letters")).toBeVisible();
  await page.getByLabel("Topic name").fill("orders");
  await page.getByRole("button", { name: "Logs: delete after 7 days" }).click();
  await expect(page.getByLabel("retention.ms", { exact: true })).toHaveValue("604800000");
  await expect(page.getByText("7 d.")).toBeVisible();
  await snapshot(page, "topics-create");
  await page.getByRole("button", { name: "Create topic" }).last().click();
  await expect(page).toHaveURL(/\/topics\/orders$/);
  await expect(page.getByRole("heading", { name: "orders" })).toBeVisible();

  // Produce from the console: bad JSON is caught before sending.
  await page.getByRole("link", { name: "Produce" }).click();
  await page.getByLabel("Key", { exact: true }).fill("user-1");
  await page.getByLabel("Value", { exact: true }).fill('{"amount": 5');
  await expect(page.getByText("Looks like JSON but does not parse")).toBeVisible();
  await expect(page.getByRole("button", { name: "Produce", exact: true })).toBeDisabled();
  await page.getByLabel("Value", { exact: true }).fill('{"amount": 5}');
  await page.getByLabel("Partition", { exact: true }).selectOption("0");
  await page.getByRole("button", { name: "Add header" }).click();
  await page.getByLabel("Header 1").fill("source");
  await page.getByLabel("Header value 1").fill("console");
  await page.getByRole("button", { name: "Produce", exact: true }).click();
  await expect(page.getByText("Produced to partition 0 at offset 0.")).toBeVisible();
  await page.getByLabel("Key", { exact: true }).fill("user-2");
  await page.getByLabel("Value", { exact: true }).fill('{"amount": 50, "items": [1, 2]}');
  await page.getByRole("button", { name: "Produce", exact: true }).click();
  await expect(page.getByText("Produced to partition 0 at offset 1.")).toBeVisible();

  // Upload a JSON-lines file, with a progress bar.
  await page.getByLabel("JSON-lines file").setInputFiles({
    name: "batch.jsonl",
    mimeType: "application/x-ndjson",
    buffer: Buffer.from(['{"key": "bulk", "value": {"amount": 1}, "partition": 0}', '{"key": "bulk", "value": {"amount": 2}, "partition": 0}', '{"key": "bulk", "value": "plain", "partition": 0}'].join("\n")),
  });
  await expect(page.getByText("Produced 3 records from batch.jsonl.")).toBeVisible();
  await expect(page.getByRole("progressbar", { name: "Upload progress" })).toHaveAttribute("aria-valuenow", "100");
  await snapshot(page, "produce");

  // Produce with kcat into partition 1, a moment later so the timestamps tell the two apart.
  await page.waitForTimeout(1100);
  const kcatFrom = Date.now();
  await page.waitForTimeout(1100);
  await kcat(["-P", "-b", bootstrap, "-t", "orders", "-p", "1", "-K:"], "k1:one\nk2:two\nk3:three\nk4:four\nk5:five\n");

  // Browse by offset.
  await page.getByRole("link", { name: "Browse messages" }).click();
  await expect(page.getByTestId("scan-summary")).toContainText("10 record(s)");
  await page.getByLabel("Partitions", { exact: true }).fill("1");
  await page.getByLabel("Start", { exact: true }).selectOption("offset");
  await page.getByLabel("Start offset").fill("2");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/p=1&start=offset&at=2/);
  const rows = page.getByRole("table", { name: "Records" }).locator("tbody tr.clickable");
  await expect(rows).toHaveCount(3);
  await expect(rows.first()).toContainText("three");

  // Browse by timestamp: only the kcat records are newer.
  await page.getByLabel("Partitions", { exact: true }).fill("");
  await page.getByLabel("Start", { exact: true }).selectOption("timestamp");
  await page.getByLabel("Start time").fill(localInput(kcatFrom));
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/start=timestamp/);
  await expect(rows).toHaveCount(5);
  await expect(page.getByRole("table", { name: "Records" })).not.toContainText("user-");

  // Filter by key, server-side, and look at the record.
  await page.getByLabel("Start", { exact: true }).selectOption("earliest");
  await page.getByLabel("Key filter").fill("user-2");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(rows).toHaveCount(1);
  await rows.first().click();
  await expect(page.getByLabel("Record value")).toContainText('"amount": 50');
  // The header row of the form stays filled, so user-2's record carries it too.
  await expect(page.getByRole("table", { name: "Headers" })).toContainText("sourceconsole");
  await page.getByRole("tab", { name: "Hex" }).click();
  await expect(page.getByLabel("Record value")).toContainText("7b 22 61 6d");
  await snapshot(page, "messages-filtered");

  // JSONata over the value.
  await page.getByLabel("Key filter").fill("");
  await page.getByLabel("JSONata filter").fill("amount < 10");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(rows).toHaveCount(3);
  await expect(page.getByTestId("scan-summary")).toContainText("scanned 10");

  // Page forward and back, two at a time; the URL carries the position.
  await page.getByLabel("JSONata filter").fill("");
  await page.getByLabel("Page size").fill("4");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(rows).toHaveCount(4);
  // Partition and offset of each row: what identifies a record on a page.
  const ids = async () => (await rows.allInnerTexts()).map((t) => t.split("\t").slice(0, 2).join(":"));
  const firstPage = await ids();
  expect(firstPage).toEqual(["0:0", "0:1", "0:2", "0:3"]);
  await page.getByRole("button", { name: "Next →" }).click();
  await expect(page).toHaveURL(/pos=/);
  await expect.poll(ids).toEqual(["0:4", "1:0", "1:1", "1:2"]);
  await page.getByRole("button", { name: "← Previous" }).click();
  await expect(page).not.toHaveURL(/pos=/);
  await expect.poll(ids).toEqual(firstPage);

  // Download the page as JSON lines.
  const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download JSON lines" }).click()]);
  const lines = (await (await dl.createReadStream()).toArray()).join("").trim().split("\n");
  expect(lines).toHaveLength(4);
  expect(JSON.parse(lines[0])).toHaveProperty("offset");

  // Live tail follows a record produced with kcat.
  await page.getByRole("button", { name: "Live tail" }).click();
  await expect(page.getByText("Following new records")).toBeVisible();
  await page.waitForTimeout(500);
  await kcat(["-P", "-b", bootstrap, "-t", "orders", "-p", "1", "-K:"], "live:tailed\n");
  await expect(page.getByRole("table", { name: "Records" })).toContainText("tailed");
  await snapshot(page, "messages-live");
  await page.getByRole("button", { name: "Stop live tail" }).click();

  // Topic page: partitions, then purge partition 1 before offset 3.
  await page.getByRole("link", { name: "orders" }).first().click();
  await expect(page.getByRole("heading", { name: "orders" })).toBeVisible();
  // The records-in line has points, and not all on the zero line: the produces above show up.
  const curve = page.getByTestId("throughput-chart").locator("path.recharts-line-curve").first();
  await expect(curve).toHaveAttribute("d", /^M[\d.]+,[\d.]+L/);
  const ys = ((await curve.getAttribute("d")) ?? "").match(/,[\d.]+/g)!.map((y) => Number(y.slice(1)));
  expect(Math.min(...ys)).toBeLessThan(Math.max(...ys));
  await page.getByLabel("Purge partition").selectOption("1");
  await page.getByLabel("Purge before offset").fill("3");
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Purge" }).click();
  await expect(page.getByText("Purged 3 records.")).toBeVisible();
  const p1 = page.getByRole("row").filter({ has: page.getByRole("link", { name: "browse" }) }).nth(1);
  await expect(p1.getByRole("cell").nth(1)).toHaveText("3");

  // Edit a config with a before/after review.
  await page.getByRole("button", { name: "Edit configs" }).click();
  await page.getByLabel("Value of retention.ms").fill("3600000");
  await page.getByRole("button", { name: /Review changes \(1\)/ }).click();
  const diff = page.getByRole("table", { name: "Config changes" });
  await expect(diff).toContainText("604800000");
  await expect(diff).toContainText("3600000");
  await snapshot(page, "topic-config-diff");
  await page.getByRole("button", { name: "Apply changes" }).click();
  await expect(page.getByText("Saved 1 change(s).")).toBeVisible();
  await snapshot(page, "topic-detail");

  // The audit trail has the config change with before and after.
  await page.goto("/audit?action=topics.alterConfigs");
  await expect(page.getByRole("cell", { name: "embedded/orders" })).toBeVisible();
});

test("a second Tributary broker is added on the Clusters page and managed with the same screens", async ({ page }) => {
  const port = E2E.kafkaPort + 1;
  const dir = mkdtempSync(join(tmpdir(), "tributary-second-"));
  let second: ChildProcess | undefined;
  try {
    second = spawn("node", ["bin/tributary.mjs", "broker", "--kafka-port", String(port), "--data-dir", dir, "--log-level", "warn"], { stdio: "ignore" });
    await waitForPort(port);
    await kcat(["-P", "-b", `127.0.0.1:${port}`, "-t", "remote-events", "-K:"], "r1:first remote\nr2:second remote\n");

    await login(page);
    await page.getByRole("link", { name: "Clusters" }).click();
    await expect(page.getByRole("heading", { name: "Clusters" })).toBeVisible();
    await page.getByRole("button", { name: "Add cluster" }).click();
    await page.getByLabel("Name", { exact: true }).fill("second");
    await page.getByLabel("Bootstrap servers").fill("127.0.0.1:1");
    await page.getByRole("button", { name: "Test connection" }).click();
    await expect(page.locator(".error-note")).toContainText("Could not connect to 127.0.0.1:1");
    await page.getByLabel("Bootstrap servers").fill(`127.0.0.1:${port}`);
    await page.getByRole("button", { name: "Test connection" }).click();
    await expect(page.getByText(/Connected: 1 broker/)).toBeVisible();
    await page.getByRole("button", { name: "Add cluster" }).last().click();
    await expect(page.getByText("Added second; it answered the connection test.")).toBeVisible();
    const row = page.getByRole("row", { name: /second/ });
    await expect(row).toContainText("1 broker");
    await snapshot(page, "clusters");

    await row.getByRole("link", { name: "second" }).click();
    await expect(page).toHaveURL(/\/topics\?cluster=second$/);
    await expect(page.getByRole("link", { name: "remote-events" })).toBeVisible();
    await expect(page.getByRole("link", { name: "orders" })).toHaveCount(0);
    await snapshot(page, "topics-second-cluster");

    await page.getByRole("link", { name: "remote-events" }).click();
    await expect(page.getByRole("heading", { name: "remote-events" })).toBeVisible();
    // Its rates are the console's samples of the cluster: a note says so (e2e/dashboard.spec.ts charts them).
    await expect(page.getByTestId("throughput-chart").or(page.getByText(/the console samples this cluster every 10 s/)).first()).toBeVisible();
    const topicUrl = page.url();
    await page.getByRole("link", { name: "Browse messages" }).click();
    await expect(page).toHaveURL(/cluster=second/);
    const rows = page.getByRole("table", { name: "Records" }).locator("tbody tr.clickable");
    await expect(rows).toHaveCount(2);
    await expect(rows.first()).toContainText("first remote");
    await snapshot(page, "messages-second-cluster");

    // The navigation keeps the picked cluster: its groups, not the embedded broker's.
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Consumer groups" }).click();
    await expect(page).toHaveURL(/\/groups\?cluster=second$/);
    await expect(page.getByText(/on second/)).toBeVisible();
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Topics" }).click();
    await expect(page).toHaveURL(/\/topics\?cluster=second$/);
    await expect(page.getByRole("link", { name: "remote-events" })).toBeVisible();
    // A link naming no cluster says so, with the clusters there are.
    await page.goto("/groups?cluster=nowhere");
    await expect(page.getByRole("heading", { name: "Cluster not found" })).toBeVisible();
    await expect(page.getByRole("main").getByRole("alert")).toContainText("no cluster named nowhere");
    await snapshot(page, "cluster-not-found");
    await page.getByRole("link", { name: "second" }).click();
    await expect(page).toHaveURL(/\/groups\?cluster=second$/);

    // Switching the picker back shows the embedded broker's topics.
    await page.goto("/topics?cluster=second");
    await page.getByLabel("Cluster", { exact: true }).selectOption("embedded");
    await expect(page).not.toHaveURL(/cluster=/);

    // Delete on the second cluster, only after typing the name.
    await page.goto(topicUrl);
    await expect(page.getByRole("heading", { name: "remote-events" })).toBeVisible();
    const del = page.getByRole("button", { name: "Delete remote-events" });
    await expect(del).toBeDisabled();
    await page.getByLabel("Type the topic name to confirm").fill("remote-events");
    await del.click();
    await expect(page).toHaveURL(/\/topics\?cluster=second$/);
    await expect(page.getByText("No topics yet")).toBeVisible();
    expect(await kcat(["-L", "-b", `127.0.0.1:${port}`])).not.toContain("remote-events");

    // Edit (the save tests the connection again), then remove the cluster from the console.
    await page.goto("/clusters");
    await page.getByRole("button", { name: "Edit second" }).click();
    await page.getByLabel("Name", { exact: true }).fill("staging");
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByText("Saved staging.")).toBeVisible();
    await expect(page.getByRole("row", { name: /staging/ })).toContainText("1 broker");
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Remove staging" }).click();
    await expect(page.getByRole("row", { name: /staging/ })).toHaveCount(0);
    await page.goto("/audit?action=clusters.");
    await expect(page.getByRole("cell", { name: "clusters.delete" })).toBeVisible();
    await expect(page.getByRole("cell", { name: "clusters.update" })).toBeVisible();
  } finally {
    // The broker's directory goes only once the broker has stopped writing to it.
    if (second && second.exitCode === null) {
      second.kill("SIGTERM");
      await once(second, "exit");
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a viewer can browse but not change topics or produce", async ({ page }) => {
  await login(page);
  await addUser(page, "vanessa", "viewer");
  await page.context().clearCookies();
  await login(page, "vanessa", "vanessa-password");
  await page.goto("/topics");
  await expect(page.getByRole("link", { name: "orders", exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: "Create topic" })).toHaveCount(0);
  await expect(page.getByRole("row", { name: /^orders\b/ })).toContainText(/\d+ B/);
  await snapshot(page, "topics");
  await page.getByRole("link", { name: "orders", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Partitions" }).first()).toBeVisible();
  await expect(page.getByRole("button", { name: "Edit configs" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Produce" })).toHaveCount(0);
  await page.goto("/topics/orders/produce");
  await expect(page.getByText("Producing needs the operator or admin role")).toBeVisible();
  await snapshot(page, "produce-viewer");
});

test("a long filtered scan shows its progress and stops on Cancel; the link keeps the filter", async ({ page }) => {
  const lines = Array.from({ length: 200_000 }, (_, i) => `{"n":${i},"pad":"${"x".repeat(40)}"}`).join("\n") + "\n";
  await kcat(["-P", "-b", bootstrap, "-t", "big"], lines);
  await login(page);
  await page.goto("/topics/big/messages?expr=n%20%3C%200&limit=10");
  await expect(page.getByLabel("JSONata filter")).toHaveValue("n < 0");
  const bar = page.getByRole("progressbar", { name: "Scan progress" });
  await expect(bar).toBeVisible();
  // The default scan limit bounds the scan: 100 k of the 200 k records at most.
  await expect(page.getByText(/Scanned [\d.]+ k? ?of 100 k/)).toBeVisible();
  await snapshot(page, "messages-scan-progress");
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(bar).toHaveCount(0);
  await expect(page.getByText(/Scan cancelled after/)).toBeVisible();
});
