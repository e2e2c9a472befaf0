import { testDatabases } from "@/db/testing";
import { startTestBroker } from "../broker/compat/harness";
import { ClusterConnections } from "../admin/clusters";
import { LoginLimiter } from "../control/login-limiter";
import { WebAccess } from "../control/web-access";
import { createUser, type UserRow } from "../control/users";
import { appRouter } from "./root";
import { createCallerFactory, type Services } from "./trpc";

const callerOf = createCallerFactory(appRouter);

/**
 * A real broker on an ephemeral port, a fresh PGlite database and the console's services around
 * them, with tRPC callers for an admin, an operator and a viewer: router tests run the real chain
 * (roles, audit) against the real Kafka protocol.
 */
export async function startRouterEnv(brokerOpts: Parameters<typeof startTestBroker>[0] = {}) {
  const broker = await startTestBroker(brokerOpts);
  const opened = await testDatabases()[0].open();
  const database = opened.database;
  const clusters = new ClusterConnections(database.db, broker.bootstrap);
  const services: Services = {
    database,
    version: "test",
    startedAt: Date.now(),
    loginLimiter: new LoginLimiter(),
    web: new WebAccess(),
    broker: { bootstrap: broker.bootstrap, healthy: () => true, instance: broker.broker },
    clusters,
  };
  const admin = await createUser(database.db, { username: "alma", password: "admin-password", role: "admin" });
  const operator = await createUser(database.db, { username: "otto", password: "operator-password", role: "operator" });
  const viewer = await createUser(database.db, { username: "vera", password: "viewer-password", role: "viewer" });
  let n = 0;
  const as = (user: UserRow, signal?: AbortSignal) =>
    callerOf(
      {
        services,
        db: database.db,
        user,
        sessionToken: undefined,
        requestId: `test-${++n}`,
        clientAddress: "127.0.0.1",
        https: false,
        userAgent: "vitest",
        setCookie: () => undefined,
        audit: {},
      },
      { signal },
    );
  return {
    broker,
    database,
    services,
    clusters,
    /** A fresh caller per call, as each HTTP request gets its own context; the signal ends its subscriptions. */
    admin: (signal?: AbortSignal) => as(admin, signal),
    operator: (signal?: AbortSignal) => as(operator, signal),
    viewer: (signal?: AbortSignal) => as(viewer, signal),
    async stop() {
      await clusters.close();
      await broker.stop();
      await database.close();
      await opened.dispose();
    },
  };
}
