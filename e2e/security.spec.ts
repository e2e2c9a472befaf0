import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIRequestContext } from "@playwright/test";
import { E2E } from "@/playwright.config";
import { expect, freePort, login, snapshot, test } from "./fixtures";

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
