import { createServer, type AddressInfo } from "node:net";
import { expect, test as base, type Page } from "@playwright/test";
import { E2E } from "@/playwright.config";

export async function login(page: Page, username = "admin", password = E2E.adminPassword) {
  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("navigation", { name: "Console" })).toBeVisible();
}

/** Full-page screenshots kept with the test results, one per page visited, for people to look at. */
export async function snapshot(page: Page, name: string) {
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
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

export const test = base;
export { expect };
