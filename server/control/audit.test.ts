import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { testDatabases } from "@/db/testing";
import { listAudit, writeAudit } from "./audit";

for (const target of testDatabases()) {
  describe(`audit trail on ${target.name}`, () => {
    let database: Database;
    let dispose: () => Promise<void>;

    beforeAll(async () => {
      ({ database, dispose } = await target.open());
    });

    afterAll(async () => {
      await database?.close();
      await dispose?.();
    });

    it("writes details holding NUL, keeping it readable as \\u0000", async () => {
      await writeAudit(database.db, {
        actor: "admin",
        action: "messages.produce",
        targetKind: "topic",
        target: "orders\u0000x",
        details: { input: { key: "a\u0000b", headers: [{ "h\u0000": "v\u0000" }], count: 2 } },
        outcome: "ok",
        requestId: "r-nul",
      });
      const { items } = await listAudit(database.db, { limit: 1 });
      expect(items[0]).toMatchObject({
        target: "orders\\u0000x",
        details: { input: { key: "a\\u0000b", headers: [{ "h\\u0000": "v\\u0000" }], count: 2 } },
      });
    });
  });
}
