import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StartProgress } from "./starting-page";

function get(port: number, path: string, accept: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path, headers: { accept } }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body }));
    })
      .on("error", reject)
      .end();
  });
}

describe("the page a starting console answers with", () => {
  const progress = new StartProgress();
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((req, res) => progress.respond(req, res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("follows the build's output to its current step and page count", () => {
    progress.step("Opening the database");
    progress.step("Building the console");
    for (const line of ["   ▲ Next.js 15.5.29", "   Creating an optimized production build ...", " ✓ Compiled successfully in 41s", "   Collecting page data ...", "   Generating static pages (0/12) ...", "   Generating static pages (3/12)"]) {
      progress.buildOutput(line);
    }
    expect(progress.current()).toBe("Generating pages (3/12)");
  });

  it("shows browsers a page that lists the steps and reloads itself", async () => {
    const page = await get(port, "/topics", "text/html,application/xhtml+xml");
    expect(page.status).toBe(503);
    expect(page.type).toContain("text/html");
    expect(page.body).toContain('<meta http-equiv="refresh" content="2">');
    for (const step of ["Opening the database", "Building the console", "Compiling the console", "Collecting page data", "Generating pages (3/12)"]) expect(page.body).toContain(step);
  });

  it("answers the API in tRPC's error shape, so health checks and clients see 503", async () => {
    const res = await get(port, "/api/trpc/health", "application/json");
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toMatchObject({ error: { message: "Tributary is starting: Generating pages (3/12); retry in a moment.", data: { httpStatus: 503 } } });
  });
});
