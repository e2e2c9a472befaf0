import { expect, test as base, type Page } from "@playwright/test";
import { E2E } from "../playwright.config";

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

export const test = base;
export { expect };
