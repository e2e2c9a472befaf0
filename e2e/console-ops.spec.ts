import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Page } from "@playwright/test";
import { E2E } from "@/playwright.config";
import { expect, kcat, login, screenshots, test } from "./fixtures";

const base = `http://127.0.0.1:${E2E.httpPort}`;

/** A console call as the browser makes it, with the signed-in page's session: JSON, from the console's own origin. */
async function call<T>(page: Page, path: string, input: unknown, kind: "query" | "mutation" = "mutation"): Promise<T> {
  const res =
    kind === "mutation"
      ? await page.request.post(`${base}/api/trpc/${path}`, { headers: { origin: base, "content-type": "application/json" }, data: input })
      : await page.request.get(`${base}/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`);
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string } };
  if (!body.result) throw new Error(`${path} failed: ${body.error?.message}`);
  return body.result.data;
}

test("the dashboard counts the console's own search as console reads, not consumer traffic, in one time format", async ({ page }) => {
  test.setTimeout(180_000);
  await kcat(["-t", "ops-orders"], Array.from({ length: 3000 }, (_, i) => JSON.stringify({ id: i, amount: i % 97 })));
  await login(page);

  // A JSONata search reads the whole topic: the broker serves it, but no consumer read anything.
  await page.goto(`/topics/ops-orders/messages?start=earliest&expr=${encodeURIComponent("amount > 1000")}`);
  await expect(page.getByText("scanned 3.00 k")).toBeVisible({ timeout: 30_000 });

  await page.goto("/?topic=ops-orders");
  const chart = page.getByRole("img", { name: "Records per second" });
  await expect(chart.getByText("console reads")).toBeVisible();
  await expect(page.getByText("Out counts consumers only").first()).toBeVisible();
  const row = page.getByRole("row", { name: /ops-orders/ }).first();
  // Top topics over the last minute: out stays 0 while console reads are not.
  await expect(row.getByRole("cell").nth(2)).toHaveText("0 rec/s");
  await expect(row.getByRole("cell").nth(5)).not.toHaveText("0 rec/s", { timeout: 20_000 });

  // Axis ticks are one line each (never wrapped into tspans), and the zone is named under the chart.
  expect(await chart.locator("text.chart-tick tspan").count()).toBe(0);
  await page.getByRole("group", { name: "Time zone" }).getByRole("button", { name: "UTC" }).click();
  await expect(chart.getByText("times in UTC")).toBeVisible();
  // The 24 h view runs up to now, not to its last rolled-up minute.
  await page.getByRole("button", { name: "24 h" }).click();
  await expect(page.getByText(/from rollups/)).toBeVisible();
  // The search's minute is rolled up once it is over (checked every 15 s), so it can take a minute and more to show.
  const rolled = page.getByRole("img", { name: "Records per second" });
  await expect(rolled).toBeVisible({ timeout: 120_000 });
  expect(Number(await rolled.getAttribute("data-to"))).toBeGreaterThan(Date.now() - 30_000);
  await screenshots(page, "ops-dashboard-24h");
  await page.getByRole("button", { name: "15 min" }).click();
  await screenshots(page, "ops-dashboard-live");
});

test("topics list sizes and rates sort by any column; the Clusters page shows health and broker count", async ({ page }) => {
  await kcat(["-t", "ops-small"], ["a", "b"]);
  await kcat(["-t", "ops-large"], Array.from({ length: 2000 }, (_, i) => `large-${i}-${"x".repeat(200)}`));
  await login(page);
  await page.goto("/topics");
  const size = page.getByRole("columnheader", { name: /Size/ });
  await size.getByRole("button").click();
  await expect(size).toHaveAttribute("aria-sort", "ascending");
  await size.getByRole("button").click();
  await expect(size).toHaveAttribute("aria-sort", "descending");
  const names = await page.getByRole("row").locator("td:first-child a").allTextContents();
  expect(names.indexOf("ops-large")).toBeLessThan(names.indexOf("ops-small"));
  await expect(page.getByRole("columnheader", { name: /Rate in/ })).toBeVisible();
  await screenshots(page, "ops-topics");

  // Creating: durations and sizes take units, and a value that is neither says what it expected.
  await page.getByRole("button", { name: "Create topic" }).click();
  await page.getByLabel("Topic name").fill("ops-created");
  await page.getByLabel("retention.ms").fill("3 days");
  await expect(page.getByText("3 d (259200000).")).toBeVisible();
  await page.getByLabel("retention.bytes").fill("lots");
  await expect(page.getByText(/"lots" is not a size; write e\.g\. 1 GiB/)).toBeVisible();
  await expect(page.locator("form").getByRole("button", { name: "Create topic" })).toBeDisabled();
  await page.getByLabel("retention.bytes").fill("1 GiB");
  await screenshots(page, "ops-topic-create");
  await page.locator("form").getByRole("button", { name: "Create topic" }).click();
  await expect(page.getByRole("heading", { name: "ops-created" })).toBeVisible();
  await expect(page.getByRole("row", { name: /^retention\.bytes/ })).toContainText("1.00 GiB");

  // Editing: a select for an enum, units for a duration, and the review shows the default it replaces.
  await page.getByRole("button", { name: "Edit configs" }).click();
  await expect(page.getByLabel("Value of cleanup.policy")).toHaveJSProperty("tagName", "SELECT");
  await expect(page.getByRole("switch", { name: "Value of preallocate" })).not.toBeChecked();
  await page.getByLabel("Value of segment.ms").fill("2d");
  await expect(page.getByText("= 172800000")).toBeVisible();
  await page.getByRole("button", { name: /Review changes/ }).click();
  const diff = page.getByRole("table", { name: "Config changes" });
  await expect(diff.getByRole("row", { name: /segment\.ms/ }).locator("td.before")).toContainText(/default \d+/);
  await expect(diff.getByRole("row", { name: /segment\.ms/ }).locator("td.after")).toContainText("172800000");
  await screenshots(page, "ops-config-review");
  await page.getByRole("button", { name: "Apply changes" }).click();
  await expect(page.getByText("Saved 1 change(s).")).toBeVisible();

  await page.goto("/clusters");
  const embedded = page.getByRole("row", { name: /embedded/ });
  await expect(embedded).toContainText("healthy · 1 broker");
  await screenshots(page, "ops-clusters");
});

test("a sink that recovered shows healthy, its error in a history; the flows list shows drift; an empty canvas is not Valid", async ({ page }) => {
  test.setTimeout(120_000);
  // An endpoint that refuses for a while, then accepts: the sink backs off, then recovers.
  let refusing = true;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.statusCode = refusing ? 500 : 200;
      res.end(refusing ? "busy" : "ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`;
  try {
    await login(page);
    await page.goto("/flows/new");
    await expect(page.getByTestId("validity")).toHaveText(/^Empty: drag a source, a channel and a sink/);
    await expect(page.getByRole("button", { name: "Create flow" })).toBeDisabled();
    await screenshots(page, "ops-flow-empty");

    const definition = {
      sources: { r1: { type: "seq", channels: ["c1"], totalEvents: 200, batchSize: 10 } },
      channels: { c1: { type: "memory" } },
      sinks: { k1: { type: "http", channel: "c1", endpoint, batchSize: 10, maxRetries: 0 } },
    };
    const { id } = await call<{ id: number }>(page, "flows.create", { name: "ops-recovering", definition });
    const agents = await call<{ id: number; embedded: boolean }[]>(page, "agents.list", undefined, "query");
    await call(page, "flows.deploy", { flowId: id, version: 1, agentIds: [agents.find((a) => a.embedded)!.id] });

    await page.goto(`/flows/${id}`);
    await page.getByRole("tab", { name: "Deploy" }).click();
    const rollout = page.getByTestId("rollout-embedded");
    await expect(rollout).toContainText(/answered 500/, { timeout: 30_000 });
    refusing = false;
    await expect(rollout.locator(".error-text")).toHaveCount(0, { timeout: 30_000 });
    await expect(rollout).toContainText("running");
    const history = rollout.getByTestId("error-history");
    await history.locator("summary").click();
    await expect(history).toContainText(/k1.*answered 500/);
    await screenshots(page, "ops-flow-rollout-recovered");
    await page.getByRole("tab", { name: "Component" }).click();
    await page.getByTestId("node-sink-k1").click();
    await expect(page.getByTestId("node-panel")).toContainText("None: it recovered.");
    await expect(page.getByTestId("node-sink-k1")).not.toHaveClass(/has-errors/);
    await screenshots(page, "ops-flow-recovered");

    await call(page, "flows.save", { flowId: id, definition: { ...definition, channels: { c1: { type: "memory", capacity: 500 } } }, message: "bigger channel" });
    await page.goto("/flows");
    const row = page.getByRole("row", { name: /ops-recovering/ });
    await expect(row).toContainText("embedded v1");
    await expect(row).toContainText("1 behind v2");
    await expect(row).toContainText("running");
    await screenshots(page, "ops-flows-list");
    await call(page, "flows.stop", { flowId: id });
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});
