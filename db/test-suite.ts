// Apart from db/testing.ts, which the benchmarks import too: vitest's hooks throw outside a test run.
import { afterAll, beforeAll } from "vitest";
import type { Database } from "./client";
import type { TestDatabase } from "./testing";

/**
 * A fresh database of `target` for the tests of the describe block it is called in: opened before
 * them, closed and disposed after. `database` is read inside the tests (it is set only then).
 */
export function databaseFor(target: TestDatabase): { readonly database: Database } {
  let opened: Awaited<ReturnType<TestDatabase["open"]>> | undefined;
  beforeAll(async () => {
    opened = await target.open();
  });
  afterAll(async () => {
    await opened?.database.close();
    await opened?.dispose();
  });
  return {
    get database() {
      if (!opened) throw new Error(`the ${target.name} test database is not open yet`);
      return opened.database;
    },
  };
}
