import { expect, kcat, login, snapshot, test } from "./fixtures";

test("a record's key and headers: JSON pretty-printed, bytes that are not UTF-8 in hex with a base64 copy", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const key = Buffer.from([0xff, 0xfe, 0x01]);
  await kcat(["-t", "record-bytes", "-p", "0", "-K:", "-H", 'trace={"span":"s1","hops":2}'], Buffer.concat([key, Buffer.from(':{"ok":true}\n')]));

  await login(page);
  await page.goto("/topics/record-bytes/messages");
  const rows = page.getByRole("table", { name: "Records" }).locator("tbody tr.clickable");
  await expect(rows).toHaveCount(1);
  await rows.first().click();

  await expect(page.getByLabel("Record key")).toContainText("ff fe 01");
  await page.getByRole("button", { name: "Copy key as base64" }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key.toString("base64"));
  // Pretty-printed: one property a line, indented.
  await expect(page.getByLabel("Record header trace")).toHaveText('{\n  "span": "s1",\n  "hops": 2\n}');
  await snapshot(page, "record-bytes");
});
