import { execFile } from "node:child_process";
import { connect as connectTcp, createServer, type AddressInfo } from "node:net";
import { expect, test as base, type Browser, type Locator, type Page } from "@playwright/test";
import { E2E } from "@/playwright.config";

export async function login(page: Page, username = "admin", password = E2E.adminPassword) {
  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("navigation", { name: "Console" })).toBeVisible();
}

/** Adds a viewer on the Users page (the page must be signed in as an admin) and signs them in in a browser context of their own. */
export async function newViewer(page: Page, browser: Browser, username: string): Promise<Page> {
  await page.goto("/users");
  await page.getByLabel("New username").fill(username);
  await page.getByLabel("New password").fill(`${username}-password`);
  await page.getByLabel("New user's role").selectOption("viewer");
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByText(`Added ${username}.`)).toBeVisible();
  const viewer = await (await browser.newContext()).newPage();
  await login(viewer, username, `${username}-password`);
  return viewer;
}

/** Full-page screenshots kept with the test results, one per page visited, for people to look at. */
export async function snapshot(page: Page, name: string) {
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
}

/** The page at both widths the console is built for, kept with the test results to be looked at. */
export async function screenshots(page: Page, name: string) {
  for (const width of [1440, 1024]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `test-results/screenshots/${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** Waits until something accepts connections on the loopback port (a broker started by the test). */
export async function waitForPort(port: number, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connectTcp(port, "127.0.0.1", () => (s.end(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Produces lines with kcat, as an operator's own tool would: `args` name the topic and anything else
 * (-p, -z, -K, -H). A Buffer goes in as it is, for bytes that are not UTF-8.
 */
export function kcat(args: string[], lines: string[] | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile("kcat", ["-P", "-b", `127.0.0.1:${E2E.kafkaPort}`, ...args], { timeout: 30_000 }, (err, _out, stderr) => (err ? reject(new Error(`kcat failed: ${err.message}\n${stderr}`)) : resolve()));
    child.stdin!.end(Buffer.isBuffer(lines) ? lines : lines.join("\n") + "\n");
  });
}

/** A loopback port nothing listens on now, for a flow's HTTP source. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Drags a new edge from one handle to another and waits for it to exist. A synthetic drag can be
 * dropped while the canvas is still re-rendering the last change; a drop that made no edge changed
 * nothing, so it is simply made again.
 */
export async function connect(page: Page, from: Locator, to: Locator) {
  const edges = page.locator(".react-flow__edge");
  const before = await edges.count();
  for (let attempt = 1; ; attempt++) {
    const a = (await from.boundingBox())!;
    const b = (await to.boundingBox())!;
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
    await page.mouse.up();
    try {
      await expect(edges).toHaveCount(before + 1, { timeout: attempt < 3 ? 2_000 : 10_000 });
      return;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

export const test = base;
export { expect };
