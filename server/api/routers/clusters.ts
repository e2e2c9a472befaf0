import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { clusters } from "@/db/schema";
import { EMBEDDED_CLUSTER, slugOf, splitServers, type ClusterConnections, type ClusterSaslMechanism, type ClusterSettings } from "../../admin/clusters";
import { ClusterUnreachable, probeCluster } from "../../admin/connection-probe";
import { onCluster } from "../../admin/kafka-errors";
import { adminProcedure, router, viewerProcedure, type Context } from "../trpc";

const HOST_PORT = /^[A-Za-z0-9._\-[\]:]+:\d{1,5}$/;

const bootstrap = z
  .string()
  .trim()
  .min(1, "enter at least one host:port")
  .refine((s) => splitServers(s).length > 0 && splitServers(s).every((h) => HOST_PORT.test(h)), "use host:port, separated by commas");

const settings = z.object({
  name: z.string().trim().min(1, "give the cluster a name").max(64).refine((n) => slugOf(n) !== "", "use at least one letter or digit in the name: links name the cluster by it"),
  bootstrapServers: bootstrap,
  tls: z.boolean(),
  saslMechanism: z.enum(["plain", "scram-sha-256", "scram-sha-512"]).nullable(),
  saslUsername: z.string().trim().max(256).nullable(),
  /** Omitted on update: keep the stored password. */
  saslPassword: z.string().max(1024).optional(),
});

export function clusterConnections(ctx: Context): ClusterConnections {
  const c = ctx.services.clusters;
  if (!c) throw new TRPCError({ code: "PRECONDITION_FAILED", message: "This process manages no clusters; start it with `tributary start`." });
  return c;
}

async function probe(s: ClusterSettings) {
  try {
    return await probeCluster(s);
  } catch (err) {
    if (err instanceof ClusterUnreachable) throw new TRPCError({ code: "BAD_REQUEST", message: err.message, cause: err });
    throw err;
  }
}

function saslOf(mechanism: ClusterSaslMechanism | null, username: string | null, password: string | null): ClusterSettings["sasl"] {
  if (!mechanism) return undefined;
  if (!username) throw new TRPCError({ code: "BAD_REQUEST", message: "SASL needs a username; enter one or turn SASL off." });
  return { mechanism, username, password: password ?? "" };
}

/** Refuses a name whose slug is the embedded broker's or another cluster's: links would open the wrong one. */
async function requireFreeSlug(ctx: Context, name: string, except?: number): Promise<void> {
  const slug = slugOf(name);
  if (slug === EMBEDDED_CLUSTER) throw new TRPCError({ code: "CONFLICT", message: `"${name}" would be linked as "${EMBEDDED_CLUSTER}", the built-in broker; pick another name.` });
  const rows = await ctx.db.select({ id: clusters.id, name: clusters.name }).from(clusters);
  const taken = rows.find((r) => r.id !== except && slugOf(r.name) === slug);
  if (taken) throw new TRPCError({ code: "CONFLICT", message: `A cluster named ${taken.name} exists and links as "${slug}" too; pick another name or edit that one.` });
}

/** A cluster row's settings as saved on create and on edit. */
function storedSettings(input: z.infer<typeof settings>, sasl: ReturnType<typeof saslOf>) {
  return {
    name: input.name,
    bootstrapServers: splitServers(input.bootstrapServers).join(","),
    tls: input.tls,
    saslMechanism: sasl?.mechanism ?? null,
    saslUsername: sasl?.username ?? null,
    saslPassword: sasl ? sasl.password : null,
  };
}

export const clustersRouter = router({
  list: viewerProcedure.query(async ({ ctx }) => clusterConnections(ctx).list()),

  /** Brokers and controller of one cluster, asked over the protocol: the Clusters page's health column. */
  status: viewerProcedure.input(z.object({ cluster: z.string() })).query(({ ctx, input }) =>
    onCluster(input.cluster, async () => {
      const client = await clusterConnections(ctx).client(input.cluster);
      const started = performance.now();
      const [d, md] = await Promise.all([client.admin.describeCluster(), client.admin.metadata()]);
      const latencyMs = performance.now() - started;
      const partitions = md.topics.flatMap((t) => t.partitions.filter(Boolean));
      // Kafka's own health signals: partitions nobody leads cannot be read or written; those short of replicas can lose data.
      const offlinePartitions = partitions.filter((p) => p.leader < 0).length;
      const underReplicated = partitions.filter((p) => p.leader >= 0 && p.isr.length < p.replicas.length).length;
      return {
        clusterId: d.clusterId,
        controller: d.controllerId,
        brokers: d.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
        topics: md.topics.length,
        partitions: partitions.length,
        offlinePartitions,
        underReplicated,
        latencyMs,
        health: offlinePartitions > 0 ? ("offline partitions" as const) : underReplicated > 0 ? ("under-replicated" as const) : ("healthy" as const),
      };
    }),
  ),

  /** Tries settings without saving them (the form's "Test connection" button). */
  test: adminProcedure.input(settings.extend({ id: z.number().int().optional() })).mutation(async ({ ctx, input }) => {
    let password = input.saslPassword ?? null;
    if (password === null && input.id !== undefined) {
      const [row] = await ctx.db.select().from(clusters).where(eq(clusters.id, input.id));
      password = row?.saslPassword ?? null;
    }
    ctx.audit.targetKind = "cluster";
    ctx.audit.target = input.name;
    return probe({ bootstrapServers: splitServers(input.bootstrapServers), tls: input.tls, sasl: saslOf(input.saslMechanism, input.saslUsername, password) });
  }),

  create: adminProcedure.input(settings).mutation(async ({ ctx, input }) => {
    ctx.audit.targetKind = "cluster";
    ctx.audit.target = input.name;
    await requireFreeSlug(ctx, input.name);
    const sasl = saslOf(input.saslMechanism, input.saslUsername, input.saslPassword ?? null);
    const probed = await probe({ bootstrapServers: splitServers(input.bootstrapServers), tls: input.tls, sasl });
    const [row] = await ctx.db
      .insert(clusters)
      .values(storedSettings(input, sasl))
      .returning({ id: clusters.id });
    ctx.audit.after = { bootstrapServers: input.bootstrapServers, tls: input.tls, saslMechanism: sasl?.mechanism ?? null, saslUsername: sasl?.username ?? null };
    return { id: String(row.id), slug: slugOf(input.name), brokers: probed.brokers.length, clusterId: probed.clusterId };
  }),

  update: adminProcedure.input(settings.extend({ id: z.string() })).mutation(async ({ ctx, input }) => {
    ctx.audit.targetKind = "cluster";
    ctx.audit.target = input.name;
    const id = Number(input.id);
    const [row] = Number.isInteger(id) ? await ctx.db.select().from(clusters).where(eq(clusters.id, id)) : [];
    if (!row) throw new TRPCError({ code: "NOT_FOUND", message: `No cluster with id ${input.id}; it may have been deleted. Reload the page.` });
    await requireFreeSlug(ctx, input.name, id);
    const sasl = saslOf(input.saslMechanism, input.saslUsername, input.saslPassword ?? row.saslPassword);
    await probe({ bootstrapServers: splitServers(input.bootstrapServers), tls: input.tls, sasl });
    ctx.audit.before = { name: row.name, bootstrapServers: row.bootstrapServers, tls: row.tls, saslMechanism: row.saslMechanism, saslUsername: row.saslUsername };
    await ctx.db
      .update(clusters)
      .set(storedSettings(input, sasl))
      .where(eq(clusters.id, id));
    ctx.audit.after = { name: input.name, bootstrapServers: input.bootstrapServers, tls: input.tls, saslMechanism: sasl?.mechanism ?? null, saslUsername: sasl?.username ?? null, passwordChanged: input.saslPassword !== undefined };
    await clusterConnections(ctx).forget(slugOf(row.name));
    return { ok: true, slug: slugOf(input.name) };
  }),

  delete: adminProcedure.input(z.object({ id: z.string() })).mutation(async ({ ctx, input }) => {
    ctx.audit.targetKind = "cluster";
    if (input.id === EMBEDDED_CLUSTER) throw new TRPCError({ code: "BAD_REQUEST", message: "The embedded broker cannot be removed." });
    const id = Number(input.id);
    const [row] = Number.isInteger(id) ? await ctx.db.delete(clusters).where(eq(clusters.id, id)).returning() : [];
    if (!row) throw new TRPCError({ code: "NOT_FOUND", message: `No cluster with id ${input.id}; it may have been deleted already.` });
    ctx.audit.target = row.name;
    ctx.audit.before = { name: row.name, bootstrapServers: row.bootstrapServers, tls: row.tls, saslMechanism: row.saslMechanism, saslUsername: row.saslUsername };
    await clusterConnections(ctx).forget(slugOf(row.name));
    return { ok: true };
  }),
});
