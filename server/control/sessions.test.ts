import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../db/client";
import { sessions } from "../../db/schema";
import { testDatabases } from "../../db/testing";
import { createSession, parseCookies, startSessionPurge } from "./sessions";
import { createUser } from "./users";

it("parses cookies, skipping a value that is not valid percent-encoding", () => {
  expect(parseCookies("a=1; b=%E0%A4%A; c=x%20y")).toEqual({ a: "1", c: "x y" });
});

for (const target of testDatabases()) {
  describe(`session purge on ${target.name}`, () => {
    let database: Database;
    let dispose: () => Promise<void>;
    beforeAll(async () => {
      const opened = await target.open();
      database = opened.database;
      dispose = () => opened.dispose();
    });
    afterAll(async () => {
      await database?.close();
      await dispose?.();
    });

    it("deletes expired sessions on a timer and keeps live ones", async () => {
      const user = await createUser(database.db, { username: "sam", password: "sam-password", role: "viewer" });
      await database.db.insert(sessions).values({ id: "expired", userId: user.id, expiresAt: new Date(Date.now() - 1000) });
      const live = await createSession(database.db, user.id, {});
      const purge = startSessionPurge(database.db, 50);
      try {
        const deadline = Date.now() + 10_000;
        while ((await database.db.select().from(sessions).where(eq(sessions.id, "expired"))).length && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
        }
        // A second expired row, made after the first pass, goes on a later tick.
        await database.db.insert(sessions).values({ id: "expired-later", userId: user.id, expiresAt: new Date(Date.now() - 1000) });
        while ((await database.db.select().from(sessions).where(eq(sessions.id, "expired-later"))).length && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
        }
      } finally {
        await purge.stop();
      }
      const left = (await database.db.select({ id: sessions.id, expiresAt: sessions.expiresAt }).from(sessions)).map((s) => s.id);
      expect(left).toHaveLength(1);
      expect(left[0]).not.toMatch(/expired/);
      expect(live.expiresAt.getTime()).toBeGreaterThan(Date.now());
    });
  });
}
