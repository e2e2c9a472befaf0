import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { migrationsDir } from "@/server/paths";
import { openDatabase, type Database } from "./client";

/**
 * The databases integration tests run against: always embedded PGlite, and also the Postgres
 * server named by TEST_DATABASE_URL when it is set. Each open() gives a fresh, migrated database
 * (a temp dir, or a new database on the server that dispose() drops).
 */
export interface TestDatabase {
  name: string;
  open: () => Promise<{ database: Database; reopen: () => Promise<Database>; dispose: () => Promise<void> }>;
}

export function testDatabases(): TestDatabase[] {
  const list: TestDatabase[] = [
    {
      name: "pglite",
      async open() {
        const dataDir = mkdtempSync(join(tmpdir(), "tributary-db-"));
        const make = async () => {
          const d = await openDatabase({ dataDir });
          await d.migrate(migrationsDir);
          return d;
        };
        return { database: await make(), reopen: make, dispose: () => rm(dataDir, { recursive: true, force: true }) };
      },
    },
  ];
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl) {
    list.push({
      name: "postgres",
      async open() {
        const name = `tributary_test_${randomBytes(6).toString("hex")}`;
        const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
        await admin.unsafe(`create database ${name}`);
        const url = new URL(serverUrl);
        url.pathname = `/${name}`;
        const dataDir = mkdtempSync(join(tmpdir(), "tributary-db-"));
        const make = async () => {
          const d = await openDatabase({ url: url.toString(), dataDir });
          await d.migrate(migrationsDir);
          return d;
        };
        return {
          database: await make(),
          reopen: make,
          dispose: async () => {
            await admin.unsafe(`drop database if exists ${name} with (force)`);
            await admin.end();
            rmSync(dataDir, { recursive: true, force: true });
          },
        };
      },
    });
  }
  return list;
}
