import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { testDatabases } from "@/db/testing";
import { ConsoleClient } from "./api/test-client";
import type { Services } from "./api/trpc";
import { LoginLimiter } from "./control/login-limiter";
import { ensureAdmin } from "./control/users";
import { WebAccess } from "./control/web-access";
import { createRequestHandler } from "./http";

/** The sign-in page's HTML form, posted as a browser without JavaScript posts it. */
describe("signing in with the HTML form", () => {
  let database: Database;
  let dispose: () => Promise<void>;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const opened = await testDatabases()[0].open();
    database = opened.database;
    dispose = () => opened.dispose();
    await ensureAdmin(database.db, "admin-password");
    const services: Services = { database, version: "test", startedAt: Date.now(), loginLimiter: new LoginLimiter(), web: new WebAccess() };
    server = createServer(
      createRequestHandler(services, (_req, res) => {
        res.end("page");
        return Promise.resolve();
      }),
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server?.close(() => r()));
    await database?.close();
    await dispose?.();
  });

  const post = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    new ConsoleClient(base).raw("POST", "/login", {
      headers: { "content-type": "application/x-www-form-urlencoded", origin: base, ...headers },
      body: new URLSearchParams(fields).toString(),
    });

  it("signs in and sends the browser to the page it asked for, with a session that works", async () => {
    const res = await post({ username: "admin", password: "admin-password", next: "/topics?cluster=1" });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe("/topics?cluster=1");
    const cookie = ([] as string[]).concat(res.headers["set-cookie"] ?? [])[0].split(";")[0];
    const page = await new ConsoleClient(base).raw("GET", "/topics", { headers: { cookie } });
    expect(page).toMatchObject({ status: 200, text: "page" });
  });

  it("sends a wrong password back to the form with the reason and the name typed", async () => {
    const res = await post({ username: "admin", password: "nope", next: "/groups" });
    expect(res.status).toBe(303);
    const back = new URL(res.headers.location as string, base);
    expect(back.pathname).toBe("/login");
    expect(Object.fromEntries(back.searchParams)).toEqual({ error: "Wrong username or password.", username: "admin", next: "/groups" });
    expect(res.headers["set-cookie"]).toBeUndefined();
  });

  it("asks for both fields when one is empty", async () => {
    const res = await post({ username: "", password: "" });
    expect(new URL(res.headers.location as string, base).searchParams.get("error")).toBe("Enter a username and a password.");
  });

  it("never sends the browser to another site after signing in", async () => {
    for (const next of ["//evil.example/", "https://evil.example/", "/\\evil.example"]) {
      const res = await post({ username: "admin", password: "admin-password", next });
      expect(res.headers.location).toBe("/");
    }
  });

  it("refuses a form posted from another site", async () => {
    const res = await post({ username: "admin", password: "admin-password" }, { origin: "http://evil.example" });
    expect(res.status).toBe(403);
  });

  it("refuses a body far larger than a sign-in form", async () => {
    const res = await post({ username: "admin", password: "x".repeat(20_000) });
    expect(res.status).toBe(413);
  });
});
