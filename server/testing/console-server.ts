import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "@/db/client";
import type { TestDatabase } from "@/db/testing";
import { AgentHost } from "@/server/agents/host";
import { EmbeddedAgent } from "@/server/control/agent-registry";
import { LoginLimiter } from "@/server/control/login-limiter";
import { createUser, ensureAdmin } from "@/server/control/users";
import { WebAccess } from "@/server/control/web-access";
import { createRequestHandler } from "@/server/http";

export interface ConsoleServer {
  database: Database;
  /** The embedded agent's flows, run in a temp dir. */
  host: AgentHost;
  fleet: EmbeddedAgent;
  /** http://127.0.0.1:<port> */
  base: string;
  close(): Promise<void>;
}

/**
 * The process's whole HTTP handler (console API and agent control API) on a free loopback port,
 * over a fresh database of `target`, with the embedded agent started.
 */
export async function startConsoleServer(target: TestDatabase): Promise<ConsoleServer> {
  const { database, dispose } = await target.open();
  const dir = mkdtempSync(join(tmpdir(), "tributary-console-"));
  const host = new AgentHost({ agent: "embedded", dataDir: dir });
  const fleet = new EmbeddedAgent(database.db, host, "test");
  await fleet.start();
  const server = createServer(createRequestHandler({ database, version: "test", startedAt: Date.now(), loginLimiter: new LoginLimiter(), web: new WebAccess(), fleet }, undefined));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    database,
    host,
    fleet,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await fleet.stop();
      await host.close();
      await new Promise<void>((r) => server.close(() => r()));
      await database.close();
      await dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The users API tests log in as: admin, olga (operator) and vera (viewer). */
export async function createTestUsers(db: Database["db"]): Promise<void> {
  await ensureAdmin(db, "admin-password");
  await createUser(db, { username: "olga", password: "operator-password", role: "operator" });
  await createUser(db, { username: "vera", password: "viewer-password", role: "viewer" });
}
