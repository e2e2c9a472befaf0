import type { APIRequestContext, Page } from "@playwright/test";
import { E2E } from "@/playwright.config";
import { expect, login, test } from "./fixtures";

/** A topic name at Kafka's limit of 249 characters, to see that lists truncate it. */
const LONG_TOPIC = `shell-${"very-long-topic-name-".repeat(11)}end`.slice(0, 249);
const TOPIC = "shell-orders";

async function call(request: APIRequestContext, path: string, input: unknown) {
  return request.post(`/api/trpc/${path}`, { data: input });
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `test-results/screenshots/shell/${name}.png`, fullPage: true });
}

/** The page scrolls only downwards: nothing (a wide table, a long name) widens it. */
async function expectNoSidewaysScroll(page: Page) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  expect(scroll).toBeLessThanOrEqual(width);
}

/** The brand sits whole in the navigation's top row (a chart rule for ".bar" once squeezed that row to 6 px and painted it over the brand). */
async function expectBrandInItsRow(page: Page) {
  const [brand, row] = await Promise.all([page.locator("nav.sidebar .brand").boundingBox(), page.locator("nav.sidebar .bar").boundingBox()]);
  expect(brand!.y).toBeGreaterThanOrEqual(row!.y);
  expect(brand!.y + brand!.height).toBeLessThanOrEqual(row!.y + row!.height + 0.5);
}

test.describe("the console's shell", () => {
  test.beforeAll(async ({ browser }) => {
    const page = await browser.newPage();
    await login(page);
    for (const name of [TOPIC, LONG_TOPIC]) await call(page.request, "topics.create", { name, partitions: 3 });
    await call(page.request, "users.create", { username: "vivian", password: "vivian-password", role: "viewer" });
    await page.close();
  });

  test("signs in with JavaScript turned off: the form is server-rendered, posts, and shows a wrong password", async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto("/groups?sort=lag");
    await expect(page).toHaveURL(/\/login\?next=/);
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("wrong-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toHaveText("Wrong username or password.");
    await expect(page.getByLabel("Username")).toHaveValue("admin");
    await shot(page, "login-no-js-error");
    await page.getByLabel("Password").fill(E2E.adminPassword);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/groups\?sort=lag$/);
    await expect(page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Topics" })).toBeVisible();
    await context.close();
  });

  test("an unknown address is a styled 404 with the navigation, and the console has a favicon", async ({ page }) => {
    await login(page);
    const res = await page.goto("/no/such/page");
    expect(res?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "There is no page here" })).toBeVisible();
    await expect(page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Topics" })).toBeVisible();
    await shot(page, "not-found");
    await page.getByRole("link", { name: "Go to the dashboard" }).click();
    await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

    const icon = await page.locator('link[rel="icon"]').first().getAttribute("href");
    const favicon = await page.request.get(icon!);
    expect(favicon.status()).toBe(200);
    expect(favicon.headers()["content-type"]).toContain("image/svg+xml");
  });

  test("bad input answers 400 with what to fix, and the error offers no pointless retry", async ({ page }) => {
    await login(page);
    const res = await call(page.request, "flows.importProperties", { text: "%%% this is not a Flume file", agent: "a1" });
    expect(res.status()).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('no properties for agent "a1"');

    await page.goto("/flows/new");
    await page.getByRole("button", { name: "Import .properties" }).click();
    await page.getByLabel("Properties text").fill("%%% this is not a Flume file");
    await page.getByRole("button", { name: "Import", exact: true }).click();
    await expect(page.locator(".error-note")).toContainText('no properties for agent "');
    await expect(page.getByRole("button", { name: "Try again" })).toHaveCount(0);
    await shot(page, "import-garbage-400");
  });

  test("a viewer sees admin pages read-only: no forms that would fail", async ({ browser }) => {
    const page = await (await browser.newContext()).newPage();
    await login(page, "vivian", "vivian-password");
    await page.goto("/users");
    await expect(page.getByText("Only admins manage users")).toBeVisible();
    await expect(page.getByLabel("New username")).toHaveCount(0);
    await shot(page, "viewer-users");
    await page.goto("/flows");
    await expect(page.getByRole("heading", { name: "Flows" })).toBeVisible();
    await expect(page.getByRole("link", { name: "New flow" })).toHaveCount(0);
    await expect(page.getByRole("link", { name: "Use this template" })).toHaveCount(0);
    await page.goto("/flows/new");
    await expect(page.getByRole("navigation", { name: "Components" })).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Import .properties" })).toBeDisabled();
    await page.goto("/clusters");
    await expect(page.getByRole("heading", { name: "Clusters" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Add cluster" })).toHaveCount(0);
    await shot(page, "viewer-clusters");
    await page.goto(`/topics/${TOPIC}`);
    await expect(page.getByRole("heading", { name: TOPIC })).toBeVisible();
    await expect(page.getByLabel("Type the topic name to confirm")).toHaveCount(0);
    await shot(page, "viewer-topic");
  });

  test("below 1,100 px the sidebar folds into a menu; tables and long names never widen the page", async ({ page }) => {
    await page.setViewportSize({ width: 1024, height: 768 });
    await login(page);
    const nav = page.getByRole("navigation", { name: "Console" });
    const menu = nav.getByRole("button", { name: "Menu" });
    await expect(menu).toBeVisible();
    await expect(nav.getByRole("link", { name: "Topics" })).toBeHidden();
    await menu.click();
    await expect(menu).toHaveAttribute("aria-expanded", "true");
    await shot(page, "menu-open-1024");
    await nav.getByRole("link", { name: "Topics" }).click();
    await expect(page.getByRole("heading", { name: "Topics" })).toBeVisible();
    await expect(nav.getByRole("link", { name: "Topics" })).toBeHidden();

    const long = page.getByRole("link", { name: LONG_TOPIC });
    await expect(long).toHaveAttribute("title", LONG_TOPIC);
    const clipped = await long.evaluate((el) => el.scrollWidth > el.clientWidth);
    expect(clipped).toBe(true);
    await expectNoSidewaysScroll(page);

    await page.setViewportSize({ width: 1440, height: 900 });
    await expect(nav.getByRole("button", { name: "Menu" })).toBeHidden();
    await expect(nav.getByRole("link", { name: "Topics" })).toBeVisible();
  });

  test("the flow designer at 1,024 px: panels fold away, a node dropped at the edge stays inside; one toolbar row at 1,440 px", async ({ page }) => {
    await page.setViewportSize({ width: 1024, height: 768 });
    await login(page);
    await page.goto("/flows/new");
    const canvas = page.getByTestId("canvas");
    await expect(canvas).toBeVisible();
    const narrow = (await canvas.boundingBox())!;
    await page.getByRole("button", { name: "Hide panel ›" }).click();
    await page.getByRole("button", { name: "‹ Hide components" }).click();
    await expect(page.getByRole("navigation", { name: "Components" })).toBeHidden();
    await expect.poll(async () => (await canvas.boundingBox())!.width).toBeGreaterThan(narrow.width + 300);
    await page.getByRole("button", { name: "Components ›" }).click();
    await page.getByRole("button", { name: "‹ Panel" }).click();

    const box = (await canvas.boundingBox())!;
    await page.getByTestId("palette-sink-logger").dragTo(canvas, { targetPosition: { x: box.width - 4, y: box.height - 4 } });
    const node = page.locator(".react-flow__node").first();
    await expect(node).toBeVisible();
    const placed = (await node.boundingBox())!;
    expect(placed.x + placed.width).toBeLessThanOrEqual(box.x + box.width);
    expect(placed.y + placed.height).toBeLessThanOrEqual(box.y + box.height);
    await shot(page, "designer-1024");

    await page.setViewportSize({ width: 1440, height: 900 });
    const tops = await page.locator(".designer-toolbar > *").evaluateAll((els) => els.map((el) => Math.round(el.getBoundingClientRect().top + el.getBoundingClientRect().height / 2)));
    expect(Math.max(...tops) - Math.min(...tops)).toBeLessThan(12);
    await shot(page, "designer-1440");
  });

  for (const width of [1440, 1024]) {
    test(`every page at ${width} px, screenshotted, without sideways scrolling`, async ({ page }) => {
      await page.setViewportSize({ width, height: 900 });
      await login(page);
      const pages: [string, string][] = [
        ["/", "dashboard"],
        ["/topics", "topics"],
        [`/topics/${TOPIC}`, "topic"],
        [`/topics/${TOPIC}/messages`, "messages"],
        [`/topics/${TOPIC}/produce`, "produce"],
        ["/groups", "groups"],
        ["/flows", "flows"],
        ["/flows/new", "flow-new"],
        ["/agents", "agents"],
        ["/clusters", "clusters"],
        ["/audit", "audit"],
        ["/users", "users"],
      ];
      for (const [path, name] of pages) {
        await page.goto(path);
        await expect(path === "/flows/new" ? page.getByTestId("canvas") : page.locator("main h1").first()).toBeVisible();
        await expect(page.locator(".loading")).toHaveCount(0);
        if (path !== "/flows/new") await expectNoSidewaysScroll(page);
        await expectBrandInItsRow(page);
        await shot(page, `${name}-${width}`);
      }
      const signedOut = await (await page.context().browser()!.newContext({ viewport: { width, height: 900 } })).newPage();
      await signedOut.goto("/login");
      await shot(signedOut, `login-${width}`);
    });
  }
});
