import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { openDatabase } from "@/db/client";
import { migrationsDir } from "@/server/paths";
import { startPrivatePostgres, type PrivatePostgres } from "./test-postgres";

/**
 * A fresh, migrated database for one test file or run: on `server` (TEST_DATABASE_URL by default;
 * dropped afterwards), or on a private server when none is named.
 */
export async function clusterDatabase(server = process.env.TEST_DATABASE_URL): Promise<{ url: string; dispose(): Promise<void> }> {
  let own: PrivatePostgres | undefined;
  const base = server ?? (own = await startPrivatePostgres()).url;
  const name = `tributary_cluster_${randomBytes(6).toString("hex")}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  await migrated(url.toString());
  return {
    url: url.toString(),
    dispose: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
      own?.dispose();
    },
  };
}

export async function migrated(url: string): Promise<void> {
  const database = await openDatabase({ url, dataDir: "/nonexistent" });
  await database.migrate(migrationsDir);
  await database.close();
}

export { eventually } from "@/server/testing/eventually";
