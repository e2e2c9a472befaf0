import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { testDatabases } from "@/db/testing";
import { LoginLimiter } from "../control/login-limiter";
import { WebAccess } from "../control/web-access";
import { createUser, ensureAdmin, findUserByName } from "../control/users";
import { createRequestHandler } from "../http";
import { ConsoleClient } from "./test-client";
import type { Services } from "./trpc";

for (const target of testDatabases()) {
  describe(`console API on ${target.name}`, () => {
    let database: Database;
    let reopen: () => Promise<Database>;
    let dispose: () => Promise<void>;
    let server: Server;
    let base: string;
    let pages: string[];
    let now = 1_000_000;

    async function serve(db: Database) {
      const services: Services = {
        database: db,
        version: "test",
        startedAt: Date.now(),
        loginLimiter: new LoginLimiter(() => now),
        web: new WebAccess(),
      };
      pages = [];
      server = createServer(
        createRequestHandler(services, (req, res) => {
          pages.push(req.url ?? "");
          res.end("page");
          return Promise.resolve();
        }),
      );
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }

    beforeAll(async () => {
      ({ database, reopen, dispose } = await target.open());
      await ensureAdmin(database.db, "admin-password");
      await createUser(database.db, { username: "vera", password: "viewer-password", role: "viewer" });
      await serve(database);
    });

    afterAll(async () => {
      server?.close();
      await database?.close();
      await dispose?.();
    });

    it("answers health without a login, with the database status", async () => {
      const r = await new ConsoleClient(base).query("health");
      expect(r.data?.database).toEqual({ ok: true, kind: target.name });
      expect(r.data?.version).toBe("test");
    });

    it("refuses unauthenticated calls with UNAUTHORIZED", async () => {
      const r = await new ConsoleClient(base).query("users.list");
      expect(r.status).toBe(401);
      expect(r.error?.data.code).toBe("UNAUTHORIZED");
    });

    it("redirects page requests without a session to the login page, and serves them with one", async () => {
      const anonymous = await fetch(`${base}/topics?x=1`, { redirect: "manual" });
      expect(anonymous.status).toBe(302);
      expect(anonymous.headers.get("location")).toBe("/login?next=%2Ftopics%3Fx%3D1");
      expect((await fetch(`${base}/login`)).status).toBe(200);
      const admin = await new ConsoleClient(base).login("admin", "admin-password");
      const res = await fetch(`${base}/topics`, { headers: { cookie: admin.cookie }, redirect: "manual" });
      expect(res.status).toBe(200);
      expect(pages).toContain("/topics");
    });

    it("rejects a wrong password and records the failed login", async () => {
      const c = new ConsoleClient(base);
      const r = await c.mutate("auth.login", { username: "admin", password: "nope-nope" });
      expect(r.error?.data.code).toBe("UNAUTHORIZED");
      expect(r.error?.message).toBe("Wrong username or password.");
      const admin = await new ConsoleClient(base).login("admin", "admin-password");
      const audit = await admin.query("audit.list", { action: "auth.login", outcome: "denied" });
      expect(audit.data?.items[0]).toMatchObject({ actor: "admin", outcome: "denied", details: { input: { username: "admin", password: "********" } } });
    });

    it("rate-limits repeated failed logins for a user", async () => {
      await createUser(database.db, { username: "target", password: "target-password", role: "viewer" });
      const c = new ConsoleClient(base);
      for (let i = 0; i < 5; i++) expect((await c.mutate("auth.login", { username: "target", password: "bad" })).error?.data.code).toBe("UNAUTHORIZED");
      const blocked = await c.mutate("auth.login", { username: "target", password: "target-password" });
      expect(blocked.error?.data.code).toBe("TOO_MANY_REQUESTS");
      expect(blocked.error?.message).toMatch(/try again in \d+ s/);
      now += 61_000;
      expect((await c.mutate("auth.login", { username: "target", password: "target-password" })).data?.user.username).toBe("target");
    });

    it("denies a viewer an admin action and audits the denial", async () => {
      const viewer = await new ConsoleClient(base).login("vera", "viewer-password");
      expect((await viewer.query("auth.me")).data).toMatchObject({ username: "vera", role: "viewer" });
      const r = await viewer.mutate("users.create", { username: "mallory", password: "12345678", role: "admin" });
      expect(r.status).toBe(403);
      expect(r.error?.message).toBe("Requires role admin; you are viewer. Ask an admin for access.");
      expect(await findUserByName(database.db, "mallory")).toBeUndefined();
      const audit = await viewer.query("audit.list", { actor: "vera", action: "users.create" });
      expect(audit.data?.items).toHaveLength(1);
      expect(audit.data?.items[0]).toMatchObject({ outcome: "denied", details: { input: { username: "mallory", password: "********" } } });
    });

    it("lets an admin manage users, recording before and after", async () => {
      const admin = await new ConsoleClient(base).login("admin", "admin-password");
      const created = await admin.mutate("users.create", { username: "otto", password: "operator-pw", role: "operator" });
      expect(created.data).toMatchObject({ username: "otto", role: "operator", disabled: false });
      const dup = await admin.mutate("users.create", { username: "otto", password: "operator-pw", role: "viewer" });
      expect(dup.error?.data.code).toBe("CONFLICT");
      const bad = await admin.mutate("users.create", { username: "x y", password: "short", role: "viewer" });
      expect(bad.error?.data.code).toBe("BAD_REQUEST");
      expect(bad.error?.message).toContain("password: must be at least 8 characters");

      const otto = await new ConsoleClient(base).login("otto", "operator-pw");
      const updated = await admin.mutate("users.update", { id: created.data?.id, role: "viewer", disabled: true });
      expect(updated.data).toMatchObject({ role: "viewer", disabled: true });
      // Disabling ends the user's sessions and blocks new logins.
      expect((await otto.query("auth.me")).error?.data.code).toBe("UNAUTHORIZED");
      expect((await new ConsoleClient(base).mutate("auth.login", { username: "otto", password: "operator-pw" })).error?.data.code).toBe("UNAUTHORIZED");

      const audit = await admin.query("audit.list", { action: "users.update", target: "otto" });
      expect(audit.data?.items[0]).toMatchObject({
        outcome: "ok",
        targetKind: "user",
        details: { before: { role: "operator", disabled: false }, after: { role: "viewer", disabled: true } },
      });
      const selfDemote = await admin.mutate("users.update", { id: 1, role: "viewer" });
      expect(selfDemote.error?.data.code).toBe("BAD_REQUEST");
    });

    it("resets a password: the old one stops working, the new one works", async () => {
      const admin = await new ConsoleClient(base).login("admin", "admin-password");
      const u = await admin.mutate("users.create", { username: "pat", password: "first-password", role: "viewer" });
      expect((await admin.mutate("users.resetPassword", { id: u.data?.id, password: "second-password" })).data).toEqual({ ok: true });
      expect((await new ConsoleClient(base).mutate("auth.login", { username: "pat", password: "first-password" })).error).toBeDefined();
      await new ConsoleClient(base).login("pat", "second-password");
    });

    it("logs out: the session cookie stops working", async () => {
      const c = await new ConsoleClient(base).login("vera", "viewer-password");
      const cookie = c.cookie;
      expect((await c.mutate("auth.logout")).data).toEqual({ ok: true });
      c.cookie = cookie;
      expect((await c.query("auth.me")).error?.data.code).toBe("UNAUTHORIZED");
    });

    it("pages the audit trail newest first and filters by time", async () => {
      const admin = await new ConsoleClient(base).login("admin", "admin-password");
      const first = await admin.query("audit.list", { limit: 2 });
      const [newest, older] = first.data?.items.map((e) => e.id) ?? [];
      expect(first.data?.items).toHaveLength(2);
      expect(newest).toBeGreaterThan(older);
      const second = await admin.query("audit.list", { limit: 2, cursor: first.data?.nextCursor });
      expect(second.data?.items[0]?.id).toBeLessThan(older);
      const future = await admin.query("audit.list", { from: new Date(Date.now() + 3600_000).toISOString() });
      expect(future.data?.items).toEqual([]);
    });

    it("keeps users and audit events across a restart", async () => {
      const admin = await new ConsoleClient(base).login("admin", "admin-password");
      const before = await admin.query("audit.list", { limit: 200 });
      server.close();
      await database.close();
      database = await reopen();
      await serve(database);
      const again = await new ConsoleClient(base).login("admin", "admin-password");
      const after = await again.query("audit.list", { limit: 200 });
      const ids = (page: { items: { id: number }[] } | undefined) => page?.items.map((e) => e.id);
      // The only new event is this login.
      expect(after.data?.items[0]?.action).toBe("auth.login");
      expect(ids(after.data)?.slice(1)).toEqual(ids(before.data));
      expect(await findUserByName(database.db, "otto")).toMatchObject({ role: "viewer", disabled: true });
    });
  });
}
