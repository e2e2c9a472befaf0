import { describe, expect, it } from "vitest";
import { databaseFor } from "@/db/test-suite";
import { testDatabases } from "@/db/testing";
import { listAudit, writeAudit } from "./audit";

for (const target of testDatabases()) {
  describe(`audit trail on ${target.name}`, () => {
    const opened = databaseFor(target);

    it("writes details holding NUL, keeping it readable as \\u0000", async () => {
      await writeAudit(opened.database.db, {
        actor: "admin",
        action: "messages.produce",
        targetKind: "topic",
        target: "orders\u0000x",
        details: { input: { key: "a\u0000b", headers: [{ "h\u0000": "v\u0000" }], count: 2 } },
        outcome: "ok",
        requestId: "r-nul",
      });
      const { items } = await listAudit(opened.database.db, { limit: 1 });
      expect(items[0]).toMatchObject({
        target: "orders\\u0000x",
        details: { input: { key: "a\\u0000b", headers: [{ "h\\u0000": "v\\u0000" }], count: 2 } },
      });
    });
  });
}
