import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { E2E } from "@/playwright.config";
import { connect, expect, freePort, login, snapshot, test } from "./fixtures";

/** `tributary agent --control … --token …` as an operator would start it next to the data. */
class StandaloneAgent {
  private readonly dir = mkdtempSync(join(tmpdir(), "tributary-e2e-agent-"));
  private readonly child: ChildProcess;
  output = "";

  constructor(name: string, token: string) {
    this.child = spawn(
      process.execPath,
      ["bin/tributary.mjs", "agent", "--control", `http://127.0.0.1:${E2E.httpPort}`, "--token", token, "--name", name, "--data-dir", this.dir],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000));
    this.child.stdout!.on("data", keep);
    this.child.stderr!.on("data", keep);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = once(this.child, "exit");
      this.child.kill("SIGTERM");
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

test("a standalone agent registers with a token, runs a deployed flow, and goes offline when it stops heartbeating", async ({ page }) => {
  test.setTimeout(150_000);
  await login(page);
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Agents" }).click();
  await expect(page.getByRole("heading", { name: "Agents", exact: true })).toBeVisible();
  await expect(page.getByTestId("agent-embedded")).toBeVisible();
  await expect(page.getByTestId("state-embedded")).toHaveText("online");

  await page.getByLabel("Token label").fill("e2e edge");
  await page.getByRole("button", { name: "Create token" }).click();
  const command = await page.getByTestId("agent-command").textContent();
  expect(command).toMatch(new RegExp(`^npx tributary agent --control http://127\\.0\\.0\\.1:${E2E.httpPort} --token trb_[A-Za-z0-9_-]+$`));
  const token = command!.split("--token ")[1];
  await snapshot(page, "agents-token");

  const agent = new StandaloneAgent("edge-e2e", token);
  try {
    await expect(page.getByTestId("state-edge-e2e"), agent.output).toHaveText("online", { timeout: 30_000 });
    await expect(page.getByRole("row").filter({ has: page.getByTestId("agent-edge-e2e") })).toContainText(hostname());
    await expect(page.getByRole("row", { name: /e2e edge/ })).toContainText("edge-e2e");

    // Deploy a flow to it through the console: draw it from the HTTP → topic template's shape.
    const port = await freePort();
    await page.goto("/flows/new");
    await page.getByLabel("Flow name").fill("edge-flow");
    await page.getByTestId("palette-source-http").dblclick();
    await page.getByTestId("palette-channel-memory").dblclick();
    await page.getByTestId("palette-sink-null").dblclick();
    await page.getByTestId("node-source-r1").click();
    await page.getByTestId("node-panel").locator("#field-port").fill(String(port));
    await page.getByTestId("node-panel").locator("#field-bind").fill("127.0.0.1");
    await connect(page, page.getByTestId("out-source-r1"), page.getByTestId("in-channel-c1"));
    await connect(page, page.getByTestId("out-channel-c1"), page.getByTestId("in-sink-k1"));
    await expect(page.getByTestId("validity")).toHaveText("Valid");
    await page.getByRole("button", { name: "Create flow" }).click();
    await expect(page).toHaveURL(/\/flows\/\d+$/);
    await page.getByRole("tab", { name: "Deploy" }).click();
    await page.getByLabel(/embedded/).uncheck();
    await page.getByLabel(/edge-e2e/).check();
    await page.getByRole("button", { name: "Deploy v1" }).click();
    await expect(page.getByTestId("rollout-edge-e2e")).toContainText("running", { timeout: 20_000 });

    const res = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: { "content-type": "text/plain" }, body: "a\nb\nc\n" });
    expect(res.status).toBe(200);
    await expect(page.getByTestId("total-sink-k1")).toHaveText("3 events", { timeout: 20_000 });
    await snapshot(page, "agents-flow-on-standalone");

    await page.goto("/agents");
    await expect(page.getByRole("row").filter({ has: page.getByTestId("agent-edge-e2e") })).toContainText("edge-flow v1");
    await snapshot(page, "agents");

    // Silence: within 30 s the console marks it offline.
    await agent.stop();
    const stoppedAt = Date.now();
    await expect(page.getByTestId("state-edge-e2e")).toHaveText("offline", { timeout: 30_000 });
    expect(Date.now() - stoppedAt).toBeLessThan(30_000);
    await snapshot(page, "agents-offline");

    // Revoking the token refuses the next heartbeat with a reason.
    await page.getByRole("row", { name: /e2e edge/ }).getByRole("button", { name: "Revoke" }).click();
    await expect(page.getByTestId("state-edge-e2e")).toHaveText("revoked");
    const again = await fetch(`http://127.0.0.1:${E2E.httpPort}/api/agent/v1/heartbeat`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "edge-e2e", host: hostname(), version: "0.1.0", flows: [], metrics: {} }),
    });
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: string }).error).toMatch(/revoked/);
  } finally {
    await agent.stop().catch(() => undefined);
  }
});
