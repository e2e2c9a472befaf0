import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { sessions } from "../../db/schema";
import { databaseFor } from "../../db/test-suite";
import { testDatabases } from "../../db/testing";
import { createSession, parseCookies, startSessionPurge } from "./sessions";
import { createUser } from "./users";

it("parses cookies, skipping a value that is not valid percent-encoding", () => {
  expect(parseCookies("a=1; b=%E0%A4%A; c=x%20y")).toEqual({ a: "1", c: "x y" });
});

for (const target of testDatabases()) {
  describe(`session purge on ${target.name}`, () => {
    const opened = databaseFor(target);

    it("deletes expired sessions on a timer and keeps live ones", async () => {
      const user = await createUser(opened.database.db, { username: "sam", password: "sam-password", role: "viewer" });
      await opened.database.db.insert(sessions).values({ id: "expired", userId: user.id, expiresAt: new Date(Date.now() - 1000) });
      const live = await createSession(opened.database.db, user.id, {});
      const purge = startSessionPurge(opened.database.db, 50);
      try {
        const deadline = Date.now() + 10_000;
        while ((await opened.database.db.select().from(sessions).where(eq(sessions.id, "expired"))).length && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
        }
        // A second expired row, made after the first pass, goes on a later tick.
        await opened.database.db.insert(sessions).values({ id: "expired-later", userId: user.id, expiresAt: new Date(Date.now() - 1000) });
        while ((await opened.database.db.select().from(sessions).where(eq(sessions.id, "expired-later"))).length && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
        }
      } finally {
        await purge.stop();
      }
      const left = (await opened.database.db.select({ id: sessions.id, expiresAt: sessions.expiresAt }).from(sessions)).map((s) => s.id);
      expect(left).toHaveLength(1);
      expect(left[0]).not.toMatch(/expired/);
      expect(live.expiresAt.getTime()).toBeGreaterThan(Date.now());
    });
  });
}
