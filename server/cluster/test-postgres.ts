import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A Postgres server of a test's own (initdb + pg_ctl under a temp dir, on a free loopback port),
 * so a test can stop and restart it without touching the shared server. Runs as the postgres
 * user when the test runs as root, since Postgres refuses to run as root.
 */
export interface PrivatePostgres {
  url: string;
  stop(): void;
  start(): void;
  dispose(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const root = mkdtempSync(join(tmpdir(), "tributary-pg-"));
  const dir = join(root, "data");
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    chownSync(root, uid, gid);
    chmodSync(root, 0o700);
  }
  const run = (cmd: string, args: string[]) => execFileSync(asRoot ? "runuser" : cmd, asRoot ? ["-u", "postgres", "--", cmd, ...args] : args, { stdio: "pipe" });
  run("initdb", ["-D", dir, "-U", "postgres", "--auth=trust", "--no-sync"]);
  const pgCtl = (action: string, extra: string[] = []) => run("pg_ctl", [action, "-D", dir, "-w", "-t", "30", ...extra]);
  const start = () => pgCtl("start", ["-o", `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off`, "-l", join(root, "log")]);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop: () => pgCtl("stop", ["-m", "immediate"]),
    dispose: () => {
      try {
        pgCtl("stop", ["-m", "immediate"]);
      } catch {
        // Already stopped.
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
