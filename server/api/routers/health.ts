import { publicProcedure } from "../trpc";

/** Answers without login so load balancers and `curl` can ask. */
export const healthProcedure = publicProcedure.query(async ({ ctx }) => {
  const s = ctx.services;
  let database: { ok: boolean; kind: "pglite" | "postgres"; error?: string } = { ok: true, kind: s.database.kind };
  try {
    await s.database.ping();
  } catch (err) {
    database = { ok: false, kind: s.database.kind, error: (err as Error).message };
  }
  const broker = s.broker ? { ok: s.broker.healthy(), bootstrap: s.broker.bootstrap } : { ok: false, bootstrap: null };
  const agents = s.agents ? { ok: s.agents.healthy(), flows: s.agents.flows() } : { ok: false, flows: 0 };
  // Cluster mode: membership and whether the coordination store is reachable (null on a single node).
  const cluster = s.broker?.instance?.cluster?.status() ?? null;
  const status = database.ok && broker.ok && agents.ok && (cluster?.store.reachable ?? true) ? "ok" : "degraded";
  return {
    status,
    version: s.version,
    uptimeSeconds: Math.round((Date.now() - s.startedAt) / 1000),
    database,
    broker,
    agents,
    cluster,
  } as const;
});
