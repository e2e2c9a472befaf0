import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import type { APIRequestContext } from "@playwright/test";
import { E2E } from "@/playwright.config";
import { expect, freePort, login, screenshots, snapshot, test, waitForPort } from "./fixtures";

const CONSOLE = `http://127.0.0.1:${E2E.httpPort}`;

/** A tRPC query with the page's session cookie, as the console's own client sends it. */
async function query<T>(request: APIRequestContext, path: string, input?: unknown): Promise<T> {
  const res = await request.get(`${CONSOLE}/api/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`);
  expect(res.ok()).toBe(true);
  return ((await res.json()) as { result: { data: T } }).result.data;
}

/** The attacker's page, on another port of the same host: same site, so the Lax session cookie goes along. */
function attackPage(): string {
  const target = `${CONSOLE}/api/trpc/agents.createToken`;
  return `<!doctype html><title>win a prize</title><body>
<form id="f" method="POST" enctype="multipart/form-data" action="${target}" target="answer"><input name="label" value="csrf-form"></form>
<iframe name="answer"></iframe>
<script>
  window.simple = fetch(${JSON.stringify(target)}, { method: "POST", mode: "no-cors", credentials: "include", headers: { "content-type": "text/plain" }, body: JSON.stringify({ label: "csrf-fetch" }) }).then(() => "sent", (e) => "failed " + e);
  window.json = fetch(${JSON.stringify(target)}, { method: "POST", credentials: "include", headers: { "content-type": "application/json" }, body: JSON.stringify({ label: "csrf-json" }) }).then((r) => "answered " + r.status, () => "blocked");
  document.getElementById("f").submit();
</script></body>`;
}

test.describe("console security", () => {
  let evil: Server;
  let evilUrl: string;
  test.beforeAll(async () => {
    evil = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(attackPage());
    });
    await new Promise<void>((r) => evil.listen(0, "127.0.0.1", r));
    evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}/`;
  });
  test.afterAll(async () => {
    await new Promise<void>((r) => evil.close(() => r()));
  });

  test("a page on another port of this host cannot act with the admin's session", async ({ page }) => {
    await login(page);
    const tokensBefore = await query<unknown[]>(page.request, "agents.tokens");
    const auditBefore = await query<{ items: unknown[] }>(page.request, "audit.list", { action: "agents.createToken", limit: 200 });

    await page.goto(evilUrl);
    // The form's answer lands in the frame: the console refused it, it did not just go unanswered.
    await expect(page.frameLocator("iframe[name=answer]").locator("body")).toContainText("is not this console");
    expect(await page.evaluate(() => (window as unknown as { simple: Promise<string> }).simple)).toBe("sent");
    // A JSON body needs a CORS preflight, which the console does not grant.
    expect(await page.evaluate(() => (window as unknown as { json: Promise<string> }).json)).toBe("blocked");
    await snapshot(page, "csrf-refused");

    const tokens = await query<{ label: string }[]>(page.request, "agents.tokens");
    expect(tokens).toHaveLength(tokensBefore.length);
    expect(tokens.map((t) => t.label)).not.toContain("csrf-form");
    // Refused before any procedure ran: no audit row either.
    const audit = await query<{ items: unknown[] }>(page.request, "audit.list", { action: "agents.createToken", limit: 200 });
    expect(audit.items).toHaveLength(auditBefore.items.length);

    // The console's own pages still change things: the login above, and a token made on the Agents page.
    await page.goto("/agents");
    await page.getByLabel("Token label").fill("made-here");
    await page.getByRole("button", { name: "Create token" }).click();
    await expect(page.getByTestId("agent-command")).toContainText("--token trb_");
    expect((await query<{ label: string }[]>(page.request, "agents.tokens")).map((t) => t.label)).toContain("made-here");
  });

  test("the designer shows a stored secret as a password field, never its value, and keeps it on save", async ({ page }) => {
    test.setTimeout(120_000);
    await login(page);
    const port = await freePort();
    const secretToken = "e2e-source-secret";
    const created = await page.request.post(`${CONSOLE}/api/trpc/flows.create`, {
      data: {
        name: "secret-source",
        definition: {
          sources: { in: { type: "http", bind: "127.0.0.1", port, token: secretToken, channels: ["c1"] } },
          channels: { c1: { type: "memory" } },
          sinks: { k1: { type: "null", channel: "c1" } },
        },
      },
    });
    expect(created.ok()).toBe(true);
    const flowId = ((await created.json()) as { result: { data: { id: number } } }).result.data.id;

    await page.goto(`/flows/${flowId}`);
    await page.getByTestId("node-source-in").click();
    const token = page.getByTestId("node-panel").locator("#field-token");
    await expect(token).toHaveAttribute("type", "password");
    await expect(token).toHaveValue("********");
    await expect(page.getByTestId("node-panel")).toContainText("A value is stored and not shown");
    expect(await page.content()).not.toContain(secretToken);
    await snapshot(page, "designer-secret-field");

    await page.getByTestId("node-panel").locator("#field-retryAfterSeconds").fill("2");
    await page.getByLabel("Version message").fill("slower retries");
    await page.getByRole("button", { name: "Save version" }).click();
    await page.getByRole("tab", { name: "Deploy" }).click();
    await page.getByRole("button", { name: "Deploy v2" }).click();
    await expect(page.getByTestId("rollout-embedded")).toContainText("running", { timeout: 20_000 });

    // The agent runs version 2 with the real token, kept through the save.
    const post = (bearer: string) => fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" }, body: JSON.stringify([{ headers: {}, body: "x" }]) });
    expect((await post(secretToken)).status).toBe(200);
    expect((await post("********")).status).toBe(401);
  });
});

test.describe("Kafka security pages", () => {
  let broker: ChildProcess | undefined;
  let dir: string;
  let port: number;
  test.beforeAll(async () => {
    port = await freePort();
    dir = mkdtempSync(join(tmpdir(), "tributary-acl-"));
    broker = spawn("node", ["bin/tributary.mjs", "broker", "--kafka-port", String(port), "--data-dir", dir, "--log-level", "warn", "--authorizer", "acl", "--super-users", "User:admin", "--sasl-mechanisms", "SCRAM-SHA-512", "--sasl-users", "admin:acl-admin-pw"], { stdio: "ignore" });
    await waitForPort(port);
  });
  test.afterAll(() => {
    broker?.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });

  test("the embedded broker without an authorizer says so; on an ACL cluster an admin adds and checks an ACL, a SCRAM user and a quota", async ({ page }) => {
    await login(page);
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Security" }).click();
    await expect(page.getByRole("heading", { name: "Security" })).toBeVisible();
    await expect(page.getByRole("note")).toContainText("does not serve ACLs");
    await expect(page.getByRole("note")).toContainText("SECURITY_DISABLED");

    await page.goto("/clusters");
    await page.getByRole("button", { name: "Add cluster" }).click();
    await page.getByLabel("Name", { exact: true }).fill("secured");
    await page.getByLabel("Bootstrap servers").fill(`127.0.0.1:${port}`);
    await page.getByLabel("SASL mechanism").selectOption("scram-sha-512");
    await page.getByLabel("SASL username").fill("admin");
    await page.getByLabel("SASL password").fill("acl-admin-pw");
    await page.getByRole("button", { name: "Add cluster" }).last().click();
    await expect(page.getByText(/Added secured/)).toBeVisible();

    await page.goto("/security?cluster=secured");
    await expect(page.getByText("No ACLs: only super users")).toBeVisible();

    // An ACL: previewed, then applied.
    const form = page.getByRole("form", { name: "Add an ACL" });
    await form.getByLabel("Principal").fill("User:bob");
    await form.getByLabel("Resource name").fill("orders-");
    await form.getByLabel("Pattern").selectOption({ label: "PREFIXED" });
    await form.getByRole("button", { name: "Preview ACL" }).click();
    const preview = page.getByRole("alertdialog", { name: "Add this ACL?" });
    await expect(preview).toContainText("ALLOW User:bob READ on TOPIC orders- (PREFIXED) from *");
    await preview.getByRole("button", { name: "Apply" }).click();
    await expect(page.getByRole("row", { name: /User:bob.*ALLOW.*READ.*TOPIC orders-/ })).toBeVisible();

    // What can bob do on orders-eu?
    await page.getByLabel("Principal to check").fill("User:bob");
    await page.getByLabel("Topic to check").fill("orders-eu");
    await page.getByRole("button", { name: "Check" }).click();
    const result = page.getByTestId("access-result");
    await expect(result.locator(".allowed")).toHaveText(["✓ READ", "✓ DESCRIBE"]);
    await expect(result).toContainText("Decided by 1 ACL");

    // A SCRAM user, then a quota.
    const users = page.getByRole("form", { name: "Add a user or change a password" });
    await users.getByLabel("User name").fill("bob");
    await users.getByLabel("Password").fill("bob-password");
    await users.getByRole("button", { name: "Preview" }).click();
    await page.getByRole("alertdialog", { name: "Add the user bob?" }).getByRole("button", { name: "Apply" }).click();
    await expect(page.getByRole("row", { name: /bob\s*SCRAM-SHA-512 \(8,192 iterations\)/ })).toBeVisible();

    const quotas = page.getByRole("form", { name: "Set quotas" });
    await quotas.getByLabel("User", { exact: true }).fill("bob");
    await quotas.getByLabel("Produce bytes/s").fill("1048576");
    await quotas.getByRole("button", { name: "Preview quotas" }).click();
    const quotaPreview = page.getByRole("alertdialog", { name: "Set the quotas of user bob?" });
    await expect(quotaPreview).toContainText("Produce bytes/s: 1.00 MiB/s");
    await quotaPreview.getByRole("button", { name: "Apply" }).click();
    await expect(page.getByRole("row", { name: /user bob/ })).toContainText("1.00 MiB/s");
    await screenshots(page, "security");

    // Each change is in the audit trail.
    await page.goto("/audit");
    await expect(page.getByText("security.createAcl")).toBeVisible();
    await expect(page.getByText("security.setPassword")).toBeVisible();
    await expect(page.getByText("security.setQuota")).toBeVisible();
  });
});
