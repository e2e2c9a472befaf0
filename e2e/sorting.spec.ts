import { expect, login, snapshot, test } from "./fixtures";

test("a list's columns sort both ways from their headers: the agent tokens by label", async ({ page }) => {
  await login(page);
  // Created out of order from the console's own page, as its client would.
  for (const label of ["sort-beta", "sort-alpha", "sort-gamma"]) {
    const status = await page.evaluate(
      (l) => fetch("/api/trpc/agents.createToken", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ label: l }) }).then((r) => r.status),
      label,
    );
    expect(status).toBe(200);
  }
  await page.goto("/agents");
  const labels = page.locator("table.data tbody tr td:nth-child(2)").filter({ hasText: /^sort-/ });
  await expect(labels).toHaveCount(3);
  const header = page.getByRole("columnheader", { name: "Label" });
  await header.getByRole("button").click();
  await expect(header).toHaveAttribute("aria-sort", "ascending");
  await expect(labels).toHaveText(["sort-alpha", "sort-beta", "sort-gamma"]);
  await header.getByRole("button").click();
  await expect(header).toHaveAttribute("aria-sort", "descending");
  await expect(labels).toHaveText(["sort-gamma", "sort-beta", "sort-alpha"]);
  await snapshot(page, "agents-tokens-sorted");
});
