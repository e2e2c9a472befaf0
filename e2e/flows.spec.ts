import { readFileSync } from "node:fs";
import { Kafka, logLevel } from "kafkajs";
import type { Page } from "@playwright/test";
import { E2E } from "@/playwright.config";
import { connect, expect, freePort, login, snapshot, test } from "./fixtures";

async function drop(page: Page, paletteId: string, x: number, y: number) {
  await page.getByTestId(paletteId).dragTo(page.getByTestId("canvas"), { targetPosition: { x, y } });
}

async function field(page: Page, name: string, value: string) {
  const input = page.getByTestId("node-panel").locator(`#field-${name}`);
  await input.fill(value);
}

const TOPIC = "e2e-flow-events";

test.describe.serial("flow designer", () => {
  let port: number;
  let flowUrl: string;

  test("build http → file channel → topic on the canvas, deploy it to the embedded agent and watch events arrive", async ({ page }) => {
    test.setTimeout(120_000);
    port = await freePort();
    await login(page);
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Flows" }).click();
    await expect(page.getByRole("heading", { name: "Flows" })).toBeVisible();
    await expect(page.getByText("HTTP → topic")).toBeVisible();
    await snapshot(page, "flows");

    await page.getByRole("link", { name: "New flow" }).click();
    await page.getByLabel("Flow name").fill("http-events");
    await drop(page, "palette-source-http", 100, 100);
    await drop(page, "palette-channel-file", 280, 260);
    await drop(page, "palette-sink-topic", 460, 100);
    const source = page.getByTestId("node-source-r1");
    const channel = page.getByTestId("node-channel-c1");
    const sink = page.getByTestId("node-sink-k1");
    await expect(source).toBeVisible();
    await expect(channel).toBeVisible();
    await expect(sink).toBeVisible();

    // Unconnected and unconfigured: the problems show on the nodes, and the flow cannot be created.
    await expect(source).toContainText("connect this source to at least one channel");
    await expect(sink).toContainText("connect this sink to one channel");
    await expect(sink).toContainText("topic: required; set a value");
    await expect(page.getByRole("button", { name: "Create flow" })).toBeDisabled();
    await snapshot(page, "flow-designer-invalid");

    await connect(page, page.getByTestId("out-source-r1"), page.getByTestId("in-channel-c1"));
    await connect(page, page.getByTestId("out-channel-c1"), page.getByTestId("in-sink-k1"));
    await expect(page.locator(".react-flow__edge")).toHaveCount(2);

    await source.click();
    await expect(page.getByTestId("node-panel")).toContainText("HTTP port to listen on.");
    await field(page, "port", String(port));
    await field(page, "bind", "127.0.0.1");
    await sink.click();
    await field(page, "bootstrapServers", `127.0.0.1:${E2E.kafkaPort}`);
    await field(page, "topic", TOPIC);
    await field(page, "batchSize", "20000");
    // Inline validation from the server's parse: the sink's batch exceeds the file channel's transactions.
    await expect(page.getByTestId("node-panel")).toContainText("exceeds transactionCapacity 10000");
    await expect(sink).toContainText("batchSize: batchSize 20000 exceeds transactionCapacity");
    await field(page, "batchSize", "50");
    await expect(page.getByTestId("validity")).toHaveText("Valid");
    await snapshot(page, "flow-designer-valid");

    // Topics are made on the Topics page; here the test makes one over the Kafka protocol.
    const kafka = new Kafka({ clientId: "e2e-flows", brokers: [`127.0.0.1:${E2E.kafkaPort}`], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();

    await page.getByRole("button", { name: "Create flow" }).click();
    await expect(page).toHaveURL(/\/flows\/\d+$/);
    flowUrl = page.url();
    await expect(page.getByText("http-events")).toBeVisible();

    await page.getByRole("tab", { name: "Deploy" }).click();
    await expect(page.getByLabel(/embedded/)).toBeChecked();
    await page.getByRole("button", { name: "Deploy v1" }).click();
    await expect(page.getByTestId("rollout-embedded")).toContainText("running", { timeout: 20_000 });

    for (let i = 0; i < 5; i++) {
      const events = Array.from({ length: 10 }, (_, j) => ({ headers: { key: `k${i}-${j}` }, body: `event ${i * 10 + j}` }));
      const res = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(events) });
      expect(res.status).toBe(200);
    }
    await expect(page.getByTestId("total-source-r1")).toHaveText("50 events", { timeout: 20_000 });
    await expect(page.getByTestId("total-sink-k1")).toHaveText("50 events", { timeout: 20_000 });
    await expect(page.getByTestId("live-channel-c1")).toContainText("% full");
    await page.getByRole("tab", { name: "Component" }).click();
    await sink.click();
    await expect(page.getByTestId("node-panel")).toContainText("Errors now");
    await expect(page.getByTestId("node-panel").locator(".live-chart")).toBeVisible();
    await snapshot(page, "flow-designer-live");

    // Tap the source: a bounded sample of the events it commits, opened on demand.
    await source.click();
    await page.getByRole("button", { name: "Tap events" }).click();
    await expect(page.getByTestId("tap")).toContainText("Waiting for events…");
    const tapped = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify([{ headers: { key: "t" }, body: "tapped event" }]) });
    expect(tapped.status).toBe(200);
    await expect(page.getByTestId("tap")).toContainText("tapped event");
    await expect(page.getByTestId("tap")).toContainText("1 event since the tap opened");
    await snapshot(page, "flow-designer-tap");
    await page.getByRole("button", { name: "Close tap" }).click();
    await expect(page.getByRole("button", { name: "Tap events" })).toBeVisible();

    const consumer = kafka.consumer({ groupId: `e2e-flows-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    const bodies: string[] = [];
    await consumer.run({
      eachMessage: ({ message }) => {
        bodies.push(message.value!.toString());
        return Promise.resolve();
      },
    });
    await expect.poll(() => bodies.length, { timeout: 30_000 }).toBe(51);
    await consumer.disconnect();
    expect(new Set(bodies)).toEqual(new Set([...Array.from({ length: 50 }, (_, i) => `event ${i}`), "tapped event"]));

    // An event over the topic's max.message.bytes is set aside instead of blocking the sink; the canvas counts it.
    const huge = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify([{ headers: {}, body: "x".repeat(2 * 1024 * 1024) }]) });
    expect(huge.status).toBe(200);
    await expect(page.getByTestId("dead-letters-sink-k1")).toHaveText("1 dead letter", { timeout: 20_000 });
    await expect(page.getByTestId("total-sink-k1")).toHaveText("52 events", { timeout: 20_000 });
    await snapshot(page, "flow-designer-dead-letter");
  });

  test("an invalid change shows its errors on the nodes and cannot be saved or deployed", async ({ page }) => {
    await login(page);
    await page.goto(flowUrl);
    const sink = page.getByTestId("node-sink-k1");
    await sink.click();
    await field(page, "topic", "");
    await expect(sink).toContainText("topic");
    await expect(page.getByTestId("validity")).toHaveText(/problem/);
    await page.getByLabel("Version message").fill("break it");
    await expect(page.getByRole("button", { name: "Save version" })).toBeDisabled();
    await page.getByRole("tab", { name: "Deploy" }).click();
    await expect(page.getByTestId("deploy-panel")).toContainText("Fix the problems on the canvas and save before deploying.");
    await expect(page.getByRole("button", { name: /^Deploy v/ })).toBeDisabled();
    await snapshot(page, "flow-designer-invalid-deploy");
  });

  test("a topic that will not be created is a warning on the sink, not a problem: the flow can still be saved", async ({ page }) => {
    await login(page);
    await page.goto(flowUrl);
    const sink = page.getByTestId("node-sink-k1");
    await sink.click();
    await field(page, "topic", "e2e-not-created");
    await page.getByTestId("node-panel").locator("#field-allowAutoTopicCreation").uncheck();
    await expect(sink.locator(".flow-node-warnings")).toContainText('topic "e2e-not-created" does not exist on cluster embedded and allowAutoTopicCreation is off', { timeout: 20_000 });
    await expect(page.getByTestId("validity")).toHaveText("Valid");
    await page.getByLabel("Version message").fill("warned only");
    await expect(page.getByRole("button", { name: "Save version" })).toBeEnabled();
    await snapshot(page, "flow-designer-topic-warning");
  });

  test("save a second version, diff it against the first, roll back", async ({ page }) => {
    await login(page);
    await page.goto(flowUrl);
    await page.getByTestId("node-channel-c1").click();
    await field(page, "capacity", "5000");
    await page.getByLabel("Version message").fill("smaller channel");
    await page.getByRole("button", { name: "Save version" }).click();
    await expect(page.locator(".designer-title")).toHaveText("http-events v2");

    await page.getByRole("tab", { name: "Versions" }).click();
    await expect(page.getByTestId("version-2")).toContainText("smaller channel");
    await expect(page.getByTestId("version-2")).toContainText("admin");
    const diff = page.getByTestId("diff");
    await expect(diff).toContainText("changed channel c1");
    await expect(diff).toContainText("capacity");
    await expect(diff).toContainText("5000");
    await snapshot(page, "flow-versions-diff");

    await page.getByTestId("version-1").getByRole("button", { name: "Roll back to v1" }).click();
    await expect(page.getByTestId("version-3")).toContainText("Roll back to version 1");
    await page.getByLabel("Diff from").selectOption("1");
    await page.getByLabel("Diff to").selectOption("3");
    await expect(page.getByText("The two versions define the same flow.")).toBeVisible();
    await page.getByRole("tab", { name: "Component" }).click();
    await page.getByTestId("node-channel-c1").click();
    await expect(page.getByTestId("node-panel").locator("#field-capacity")).toHaveValue("");

    // Deploy the rolled-back version, then stop and start the flow on the embedded agent.
    await page.getByRole("tab", { name: "Deploy" }).click();
    await page.getByLabel("Version to deploy").selectOption("3");
    await page.getByRole("button", { name: "Deploy v3" }).click();
    const row = page.getByTestId("rollout-embedded");
    await expect(page.getByTestId("rollout-version-embedded")).toHaveText("v3");
    await expect(row).toContainText("running", { timeout: 20_000 });
    await row.getByRole("button", { name: "Stop" }).click();
    await expect(row).toContainText("stopped", { timeout: 20_000 });
    await row.getByRole("button", { name: "Start" }).click();
    await expect(row).toContainText("running", { timeout: 20_000 });
    // Rolling a deployment back runs the version before it on that agent.
    await row.getByRole("button", { name: "Roll back to v2" }).click();
    await expect(page.getByTestId("rollout-version-embedded")).toHaveText("v2");
    await expect(row).toContainText("running", { timeout: 20_000 });
    await snapshot(page, "flow-deploy-rollout");

    const [props] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export .properties" }).click()]);
    const exported = readFileSync(await props.path(), "utf8");
    expect(exported).toContain("a1.sources.r1.type = http");
    expect(exported).toContain("a1.sinks.k1.channel = c1");
    const [json] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export JSON" }).click()]);
    expect(JSON.parse(readFileSync(await json.path(), "utf8"))).toMatchObject({ name: "http-events", channels: { c1: { type: "file" } } });

    await page.goto("/audit");
    await expect(page.getByText("flows.deploy").first()).toBeVisible();
  });

  test("import a Flume .properties file onto the canvas with the unsupported items reported", async ({ page }) => {
    await login(page);
    await page.goto("/flows/new");
    await page.getByRole("button", { name: "Import .properties" }).click();
    await page.getByLabel("Properties text").fill(
      [
        "a1.sources = r1",
        "a1.channels = c1",
        "a1.sinks = k1",
        "a1.sources.r1.type = netcat",
        "a1.sources.r1.bind = 127.0.0.1",
        "a1.sources.r1.port = 44444",
        "a1.sources.r1.channels = c1",
        "a1.channels.c1.type = memory",
        "a1.channels.c1.keep-alive = 3",
        "a1.sinks.k1.type = logger",
        "a1.sinks.k1.channel = c1",
      ].join("\n"),
    );
    await page.getByRole("button", { name: "Import", exact: true }).click();
    await expect(page.getByTestId("node-source-r1")).toContainText("netcat");
    await expect(page.getByTestId("node-sink-k1")).toContainText("logger");
    await expect(page.locator(".import-report")).toContainText("keep-alive");
    await expect(page.getByTestId("validity")).toHaveText("Valid");
    await snapshot(page, "flow-import");

    // Delete, undo, redo.
    await page.getByTestId("node-sink-k1").click();
    await page.keyboard.press("Delete");
    await expect(page.getByTestId("node-sink-k1")).toHaveCount(0);
    await expect(page.getByTestId("validity")).toHaveText("Valid");
    await page.getByRole("button", { name: "Undo" }).click();
    await expect(page.getByTestId("node-sink-k1")).toBeVisible();
    await expect(page.locator(".react-flow__edge")).toHaveCount(2);
    await page.getByRole("button", { name: "Redo" }).click();
    await expect(page.getByTestId("node-sink-k1")).toHaveCount(0);
    await expect(page.locator(".react-flow__edge")).toHaveCount(1);
    await page.keyboard.press("Control+z");
    await expect(page.getByTestId("node-sink-k1")).toBeVisible();
  });

  test("sinks connect into a failover sink group drawn on the canvas, which saves, exports and runs", async ({ page }) => {
    test.setTimeout(90_000);
    await login(page);
    await page.goto("/flows/new");
    await page.getByLabel("Flow name").fill("grouped-sinks");
    await drop(page, "palette-source-seq", 100, 60);
    await drop(page, "palette-channel-memory", 160, 250);
    await drop(page, "palette-sink-null", 400, 150);
    await drop(page, "palette-sink-logger", 400, 350);
    await drop(page, "palette-sinkgroup-failover", 280, 540);
    const group = page.getByTestId("node-sinkgroup-g1");
    for (const n of ["source-r1", "channel-c1", "sink-k1", "sink-k2"]) await expect(page.getByTestId(`node-${n}`)).toBeVisible();
    await expect(group).toContainText("sink group");
    await expect(group).toContainText("connect the sinks of this group to it");

    await connect(page, page.getByTestId("out-source-r1"), page.getByTestId("in-channel-c1"));
    await connect(page, page.getByTestId("out-channel-c1"), page.getByTestId("in-sink-k1"));
    await connect(page, page.getByTestId("out-channel-c1"), page.getByTestId("in-sink-k2"));
    await connect(page, page.getByTestId("out-sink-k1"), page.getByTestId("in-sinkgroup-g1"));
    await connect(page, page.getByTestId("out-sink-k2"), page.getByTestId("in-sinkgroup-g1"));
    await expect(page.locator(".react-flow__edge")).toHaveCount(5);
    await expect(group).not.toContainText("connect the sinks");

    // The processor's form comes from its schema; a priority for a sink outside the group is pinned to it.
    await group.click();
    await expect(page.getByTestId("node-panel")).toContainText("Most milliseconds a failed sink is left out");
    await field(page, "priority", "k1 = 10\nk9 = 5");
    await expect(group).toContainText('priority: sink "k9" is not in this group');
    await expect(page.getByRole("button", { name: "Create flow" })).toBeDisabled();
    await field(page, "priority", "k1 = 10\nk2 = 5");
    await field(page, "maxpenalty", "5000");
    await page.getByTestId("node-source-r1").click();
    await field(page, "totalEvents", "100");
    await expect(page.getByTestId("validity")).toHaveText("Valid");
    await snapshot(page, "flow-designer-sinkgroup");

    await page.getByRole("button", { name: "Create flow" }).click();
    await expect(page).toHaveURL(/\/flows\/\d+$/);
    await expect(page.getByTestId("node-sinkgroup-g1")).toBeVisible();
    const [json] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export JSON" }).click()]);
    expect((JSON.parse(readFileSync(await json.path(), "utf8")) as { sinkgroups: unknown }).sinkgroups).toEqual({ g1: { sinks: ["k1", "k2"], processor: { type: "failover", priority: { k1: 10, k2: 5 }, maxpenalty: 5000 } } });
    const [props] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export .properties" }).click()]);
    const exported = readFileSync(await props.path(), "utf8");
    expect(exported).toContain("a1.sinkgroups.g1.processor.type = failover");
    expect(exported).toContain("a1.sinkgroups.g1.processor.priority.k1 = 10");

    // Deployed, the live view keeps counting: the primary sink takes every event.
    await page.getByRole("tab", { name: "Deploy" }).click();
    await page.getByRole("button", { name: "Deploy v1" }).click();
    await expect(page.getByTestId("rollout-embedded")).toContainText("running", { timeout: 20_000 });
    await expect(page.getByTestId("total-sink-k1")).toHaveText("100 events", { timeout: 20_000 });
    await expect(page.getByTestId("node-sinkgroup-g1")).toBeVisible();
    await snapshot(page, "flow-designer-sinkgroup-live");
    await page.getByTestId("rollout-embedded").getByRole("button", { name: "Stop" }).click();
    await expect(page.getByTestId("rollout-embedded")).toContainText("stopped", { timeout: 20_000 });
  });

  test("a template opens on the canvas, valid, ready to adjust and create", async ({ page }) => {
    await login(page);
    await page.goto("/flows");
    await page.locator(".card", { hasText: "HTTP → topic" }).getByRole("link", { name: "Use this template" }).click();
    await expect(page.getByLabel("Flow name")).toHaveValue("http-to-topic");
    await expect(page.getByTestId("node-source-http_in")).toBeVisible();
    await expect(page.getByTestId("node-sink-to_topic")).toBeVisible();
    await expect(page.getByTestId("validity")).toHaveText("Valid");
    await snapshot(page, "flow-template");
    await page.goto("/flows");
    // Every template's component types are in this build, so none carries the "needs" hint.
    await expect(page.locator(".card", { hasText: "Postgres CDC → topic" })).toContainText("Use this template");
    await expect(page.locator(".templates")).not.toContainText("Needs component types");
  });
});
