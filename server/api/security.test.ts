import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../db/client";
import { agentTokens } from "../../db/schema";
import { testDatabases } from "../../db/testing";
import { LoginLimiter } from "../control/login-limiter";
import { createUser, ensureAdmin } from "../control/users";
import { WebAccess } from "../control/web-access";
import { createRequestHandler } from "../http";
import { ConsoleClient, failure } from "./test-client";
import type { Services } from "./trpc";

/** A console HTTP server on an ephemeral port; pages answer "page" so redirects are visible. */
async function serve(database: Database, web: WebAccess, limiter = new LoginLimiter()): Promise<{ base: string; close(): Promise<void> }> {
  const services: Services = { database, version: "test", startedAt: Date.now(), loginLimiter: limiter, web };
  const server: Server = createServer(createRequestHandler(services, (_req, res) => Promise.resolve(void res.end("page"))));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const FORM_BOUNDARY = "----tributary-test";
const formBody = `--${FORM_BOUNDARY}\r\nContent-Disposition: form-data; name="label"\r\n\r\nfrom-a-form\r\n--${FORM_BOUNDARY}--\r\n`;

for (const target of testDatabases()) {
  describe(`console security on ${target.name}`, () => {
    let database: Database;
    let dispose: () => Promise<void>;
    let plain: Awaited<ReturnType<typeof serve>>;

    beforeAll(async () => {
      ({ database, dispose } = await target.open());
      await ensureAdmin(database.db, "admin-password");
      await createUser(database.db, { username: "owner", password: "owner-password", role: "viewer" });
      plain = await serve(database, new WebAccess());
    });
    afterAll(async () => {
      await plain?.close();
      await database?.close();
      await dispose?.();
    });

    const tokenCount = async () => (await database.db.select().from(agentTokens)).length;

    describe("a malformed session cookie is no session", () => {
      const bad = "tributary_session=%E0%A4%A";

      it("sends a page request to the login page", async () => {
        const res = await new ConsoleClient(plain.base).raw("GET", "/topics", { headers: { cookie: bad } });
        expect(res.status).toBe(302);
        expect(res.headers.location).toBe("/login?next=%2Ftopics");
      });

      it("answers tRPC with UNAUTHORIZED", async () => {
        const c = new ConsoleClient(plain.base, { headers: { cookie: bad } });
        expect(await failure(c.trpc.auth.me.query())).toMatchObject({ code: "UNAUTHORIZED", status: 401 });
      });

      it("still finds a valid session next to a malformed cookie", async () => {
        const admin = await new ConsoleClient(plain.base).login("admin", "admin-password");
        const c = new ConsoleClient(plain.base, { headers: { cookie: `other=%E0%A4%A; ${admin.cookie}` } });
        expect(await c.trpc.auth.me.query()).toMatchObject({ username: "admin" });
      });
    });

    describe("state-changing requests from other sites are refused", () => {
      let admin: ConsoleClient;
      const evil = "http://127.0.0.1:1";
      beforeAll(async () => {
        admin = await new ConsoleClient(plain.base).login("admin", "admin-password");
      });

      it("refuses a multipart/form-data mutation, even from the console's own origin", async () => {
        const before = await tokenCount();
        const res = await admin.raw("POST", "/api/trpc/agents.createToken", {
          headers: { "content-type": `multipart/form-data; boundary=${FORM_BOUNDARY}`, origin: plain.base },
          body: formBody,
        });
        expect(res.status).toBe(415);
        expect((JSON.parse(res.text) as { error: { message: string } }).error.message).toMatch(/application\/json/);
        expect(await tokenCount()).toBe(before);
      });

      it("refuses text/plain and urlencoded mutation bodies", async () => {
        const before = await tokenCount();
        for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
          const res = await admin.raw("POST", "/api/trpc/agents.createToken", { headers: { "content-type": type }, body: JSON.stringify({ label: "x" }) });
          expect(res.status).toBe(415);
        }
        expect(await tokenCount()).toBe(before);
      });

      it("refuses JSON whose Origin, Referer or Sec-Fetch-Site says another site sent it", async () => {
        const before = await tokenCount();
        const cases: Record<string, string>[] = [
          { origin: evil },
          { origin: "null" },
          { referer: `${evil}/attack.html` },
          { "sec-fetch-site": "same-site" },
          { "sec-fetch-site": "cross-site" },
        ];
        for (const headers of cases) {
          const c = new ConsoleClient(plain.base, { headers });
          c.cookie = admin.cookie;
          const f = await failure(c.trpc.agents.createToken.mutate({ label: "csrf" }));
          expect(f, JSON.stringify(headers)).toMatchObject({ code: "FORBIDDEN", status: 403 });
          expect(f.message).toMatch(/not this console/);
        }
        expect(await tokenCount()).toBe(before);
      });

      it("accepts the console's own origin, and scripts that send no browser headers", async () => {
        const before = await tokenCount();
        const sameSite: Record<string, string>[] = [{ origin: plain.base }, { referer: `${plain.base}/agents` }, { "sec-fetch-site": "same-origin" }, {}];
        for (const headers of sameSite) {
          const c = new ConsoleClient(plain.base, { headers });
          c.cookie = admin.cookie;
          expect((await c.trpc.agents.createToken.mutate({ label: "ok" })).token).toMatch(/^trb_/);
        }
        expect(await tokenCount()).toBe(before + 4);
      });

      it("leaves the agent heartbeat, authenticated by its bearer token, to its own checks", async () => {
        const res = await new ConsoleClient(plain.base).raw("POST", "/api/agent/v1/heartbeat", {
          headers: { authorization: "Bearer trb_unknown", "content-type": "application/json", origin: evil },
          body: JSON.stringify({ name: "a1", host: "h", version: "1", flows: [], metrics: {} }),
        });
        expect(res.status).toBe(401);
        expect((JSON.parse(res.text) as { error: string }).error).toMatch(/unknown registration token/);
      });

      it("accepts the public URL's origin when the console sits behind a proxy", async () => {
        const proxied = await serve(database, new WebAccess({ publicUrl: "https://console.example.com" }));
        try {
          const c = new ConsoleClient(proxied.base, { headers: { origin: "https://console.example.com" } });
          await c.login("admin", "admin-password");
          expect((await c.trpc.agents.createToken.mutate({ label: "via proxy" })).token).toMatch(/^trb_/);
          const other = new ConsoleClient(proxied.base, { headers: { origin: "https://evil.example.com" } });
          other.cookie = c.cookie;
          expect(await failure(other.trpc.agents.createToken.mutate({ label: "x" }))).toMatchObject({ code: "FORBIDDEN" });
        } finally {
          await proxied.close();
        }
      });
    });

    describe("session cookies are Secure when the console is reached over HTTPS", () => {
      const cookieOf = async (base: string, headers: Record<string, string> = {}) => {
        const c = new ConsoleClient(base, { headers });
        await c.login("admin", "admin-password");
        const login = c.lastSetCookie[0];
        await c.trpc.auth.logout.mutate();
        return { login, logout: c.lastSetCookie[0] };
      };

      it("are not Secure over plain HTTP, nor for X-Forwarded-Proto from an untrusted peer", async () => {
        const { login } = await cookieOf(plain.base, { "x-forwarded-proto": "https" });
        expect(login).toMatch(/^tributary_session=[\w-]+; Path=\/; HttpOnly; SameSite=Lax/);
        expect(login).not.toMatch(/Secure/);
      });

      it("are Secure when --public-url is https", async () => {
        const s = await serve(database, new WebAccess({ publicUrl: "https://console.example.com" }));
        try {
          const { login, logout } = await cookieOf(s.base, { origin: "https://console.example.com" });
          expect(login).toMatch(/; Secure(;|$)/);
          expect(logout).toMatch(/; Secure(;|$)/);
          expect(logout).toMatch(/Max-Age=0/);
          expect(logout).toMatch(/Max-Age=0/);
        } finally {
          await s.close();
        }
      });

      it("are Secure behind a trusted proxy that says X-Forwarded-Proto: https", async () => {
        const s = await serve(database, new WebAccess({ trustedProxies: ["127.0.0.1"] }));
        try {
          const port = new URL(s.base).port;
          const { login } = await cookieOf(s.base, { "x-forwarded-proto": "https", "x-forwarded-host": `console.example.com:${port}`, origin: `https://console.example.com:${port}` });
          expect(login).toMatch(/; Secure(;|$)/);
        } finally {
          await s.close();
        }
      });
    });

    describe("failed logins are limited per address and user, and per address", () => {
      it("lets the owner sign in from another address while an attacker is locked out", async () => {
        let now = 1_000_000;
        const s = await serve(database, new WebAccess(), new LoginLimiter(() => now));
        try {
          const attacker = new ConsoleClient(s.base, { localAddress: "127.0.0.2" });
          for (let i = 0; i < 5; i++) expect((await failure(attacker.trpc.auth.login.mutate({ username: "owner", password: "guess" }))).code).toBe("UNAUTHORIZED");
          const locked = await failure(attacker.trpc.auth.login.mutate({ username: "owner", password: "owner-password" }));
          expect(locked).toMatchObject({ code: "TOO_MANY_REQUESTS" });
          expect(locked.message).toMatch(/try again in \d+ s/);
          await new ConsoleClient(s.base, { localAddress: "127.0.0.1" }).login("owner", "owner-password");
          now += 61_000;
          await attacker.login("owner", "owner-password");
        } finally {
          await s.close();
        }
      });

      it("locks an address that tries many usernames, and only that address", async () => {
        const s = await serve(database, new WebAccess());
        try {
          const sprayer = new ConsoleClient(s.base, { localAddress: "127.0.0.3" });
          let refused = 0;
          for (let i = 0; i < 30 && !refused; i++) {
            const f = await failure(sprayer.trpc.auth.login.mutate({ username: `user-${i}`, password: "guess" }));
            if (f.code === "TOO_MANY_REQUESTS") refused = i;
          }
          expect(refused).toBe(20);
          expect((await failure(sprayer.trpc.auth.login.mutate({ username: "owner", password: "owner-password" }))).code).toBe("TOO_MANY_REQUESTS");
          await new ConsoleClient(s.base, { localAddress: "127.0.0.1" }).login("owner", "owner-password");
        } finally {
          await s.close();
        }
      });

      it("counts the client named by X-Forwarded-For only behind a trusted proxy", async () => {
        const behind = await serve(database, new WebAccess({ trustedProxies: ["127.0.0.1"] }));
        const direct = await serve(database, new WebAccess());
        try {
          for (const s of [behind, direct]) {
            const a = new ConsoleClient(s.base, { headers: { "x-forwarded-for": "203.0.113.7" } });
            for (let i = 0; i < 5; i++) await failure(a.trpc.auth.login.mutate({ username: "owner", password: "guess" }));
            expect((await failure(a.trpc.auth.login.mutate({ username: "owner", password: "guess" }))).code).toBe("TOO_MANY_REQUESTS");
          }
          // Through the trusted proxy another client is another address; without trust the header means nothing.
          await new ConsoleClient(behind.base, { headers: { "x-forwarded-for": "198.51.100.9" } }).login("owner", "owner-password");
          expect((await failure(new ConsoleClient(direct.base, { headers: { "x-forwarded-for": "198.51.100.9" } }).login("owner", "owner-password"))).code).toBe("TOO_MANY_REQUESTS");
        } finally {
          await behind.close();
          await direct.close();
        }
      });

      it("takes about as long for an unknown user as for a known one", async () => {
        // Each attempt a minute after the last, so the limiter never steps in.
        let clock = 0;
        const s = await serve(database, new WebAccess(), new LoginLimiter(() => (clock += 61_000)));
        try {
          const timed = async (username: string) => {
            const t = performance.now();
            await failure(new ConsoleClient(s.base).trpc.auth.login.mutate({ username, password: "wrong-password" }));
            return performance.now() - t;
          };
          const known: number[] = [];
          const unknown: number[] = [];
          await timed("warm-up");
          for (let i = 0; i < 4; i++) {
            known.push(await timed("owner"));
            unknown.push(await timed(`nobody-${i}`));
          }
          const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
          // scrypt dominates a known user's answer (~100 ms or more); without it an unknown user answers in a few ms.
          expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
        } finally {
          await s.close();
        }
      });
    });
  });
}
