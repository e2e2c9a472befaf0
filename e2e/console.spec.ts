import { expect, login, signInAsNewUser, snapshot, test } from "./fixtures";

test("a visitor without a session is sent to the login page and back after signing in", async ({ page }) => {
  await page.goto("/audit?outcome=ok");
  await expect(page).toHaveURL(/\/login\?next=/);
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".error-note")).toHaveText(/Wrong username or password/);
  await snapshot(page, "login-error");

  await page.getByLabel("Password").fill("e2e-admin-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/audit\?outcome=ok$/);
  await expect(page.getByRole("heading", { name: "Audit trail" })).toBeVisible();
});

test("the dashboard shows the health of every part", async ({ page }) => {
  await login(page);
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Database" })).toBeVisible();
  await expect(page.getByText("embedded PGlite")).toBeVisible();
  await expect(page.getByText("reachable", { exact: true })).toBeVisible();
  await snapshot(page, "dashboard-health");
});

test("an admin manages users and every change lands in the audit trail", async ({ page }) => {
  await login(page);
  await page.getByRole("link", { name: "Users" }).click();
  await expect(page.getByRole("heading", { name: "Users" })).toBeVisible();

  await page.getByLabel("New username").fill("olivia");
  await page.getByLabel("New password").fill("olivia-password");
  await page.getByLabel("New user's role").selectOption("operator");
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByText("Added olivia.")).toBeVisible();
  const row = page.getByRole("row", { name: /olivia/ });
  await expect(row.getByLabel("Role of olivia")).toHaveValue("operator");

  // A duplicate name is refused with a message that says what to do.
  await page.getByLabel("New username").fill("olivia");
  await page.getByLabel("New password").fill("another-password");
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page.locator(".error-note")).toHaveText(/already exists; pick another name/);

  await row.getByLabel("Role of olivia").selectOption("viewer");
  await expect(row.getByLabel("Role of olivia")).toHaveValue("viewer");
  await row.getByRole("button", { name: "Disable" }).click();
  await expect(row.getByText("disabled")).toBeVisible();
  await snapshot(page, "users");

  await page.getByRole("link", { name: "Audit trail" }).click();
  await page.getByLabel("Target").fill("olivia");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/target=olivia/);
  const events = page.locator("table.audit tbody tr");
  await expect(events.filter({ hasText: "users.create" }).filter({ hasText: "ok" }).first()).toBeVisible();
  await expect(events.filter({ hasText: "users.create" }).filter({ hasText: "error" })).toHaveCount(1);
  await expect(events.filter({ hasText: "users.update" })).toHaveCount(2);

  // The role change records before and after, as a JSON tree whose objects fold.
  await events.filter({ hasText: "users.update" }).last().click();
  const details = page.getByRole("tree", { name: "Event details" });
  await expect(details).toContainText('"role": "operator"');
  await expect(details).toContainText('"role": "viewer"');
  await snapshot(page, "audit");
  const top = details.locator("details.json-node").first();
  await top.locator("summary").first().click();
  await expect(top).not.toHaveAttribute("open");
  await expect(top.locator(".json-children").first()).toBeHidden();
  await expect(top.locator(".json-folded").first()).toBeVisible();
});

test("an audit event whose details hold NUL is still written, the NUL shown as \\u0000", async ({ page }) => {
  await login(page);
  // Sent from the console's own page, as its client would. The name is refused, and the audit row
  // for the refusal carries the raw input, NUL and all, which Postgres would refuse as it stands.
  const status = await page.evaluate(() =>
    fetch("/api/trpc/users.create", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "nul\u0000name", password: "nul-password", role: "viewer" }),
    }).then((r) => r.status),
  );
  expect(status).toBeGreaterThanOrEqual(400);
  await page.goto("/audit?action=users.create&outcome=error");
  // Newest first: the refusal just made.
  await page.locator("table.audit tbody tr").filter({ hasText: "users.create" }).first().click();
  await expect(page.getByRole("tree", { name: "Event details" })).toContainText('"nul\\\\u0000name"');
  await snapshot(page, "audit-nul");
});

test("a viewer sees no admin pages and an attempted admin call is denied and audited", async ({ page, browser }) => {
  await login(page);
  const viewer = await signInAsNewUser(page, browser, "victor", "viewer");
  await expect(viewer.getByRole("link", { name: "Users" })).toHaveCount(0);
  const status = await viewer.evaluate(async () => {
    const res = await fetch("/api/trpc/users.create", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "mallory", password: "mallory-password", role: "admin" }),
    });
    return res.status;
  });
  expect(status).toBe(403);

  await page.goto("/audit?actor=victor&outcome=denied");
  await expect(page.locator("table.audit tbody tr").filter({ hasText: "users.create" })).toHaveCount(1);
});

test("signing out ends the session: pages and the API ask for a login again", async ({ page }) => {
  await login(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto("/users");
  await expect(page).toHaveURL(/\/login\?next=%2Fusers/);
  const status = await page.evaluate(async () => (await fetch("/api/trpc/users.list")).status);
  expect(status).toBe(401);
});
