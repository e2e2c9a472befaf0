import { z } from "zod";
import { EMBEDDED_CLUSTER } from "../../admin/clusters";
import { committedOffsets, deleteGroup, deleteTopicOffsets, describeGroup, executeReset, listGroups, previewReset } from "../../admin/groups";
import { onCluster } from "../../admin/kafka-errors";
import { formatOffsetsCsv, parseDuration, parseOffsetsCsv, type ResetStrategy } from "../../admin/offset-reset";
import type { KafkaClient } from "../../kafka/client";
import { logger } from "../../log";
import { LAG_HISTORY_MS } from "../../metrics/lag";
import { operatorProcedure, router, viewerProcedure, type Context } from "../trpc";
import { clusterConnections } from "./clusters";

const log = logger("api.groups");

const cluster = z.string().min(1).max(100).default(EMBEDDED_CLUSTER);
const groupId = z.string().min(1).max(255);

const scope = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("all-topics") }),
  z.object({ kind: z.literal("topic"), topic: z.string().min(1).max(249), partitions: z.array(z.number().int().min(0)).max(10_000).optional() }),
]);

/** The strategies as the browser sends them; durations, datetimes and files are parsed here with the tool's rules. */
const strategy = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("to-earliest") }),
  z.object({ kind: z.literal("to-latest") }),
  z.object({ kind: z.literal("to-current") }),
  z.object({ kind: z.literal("to-offset"), offset: z.number().int().min(0) }),
  z.object({ kind: z.literal("shift-by"), by: z.number().int() }),
  z.object({ kind: z.literal("to-datetime"), at: z.iso.datetime({ offset: true, local: true }) }),
  z.object({ kind: z.literal("by-duration"), duration: z.string().min(2).max(50) }),
  z.object({ kind: z.literal("from-file"), csv: z.string().min(1).max(5_000_000) }),
]);
type StrategyInput = z.infer<typeof strategy>;

function toStrategy(s: StrategyInput): ResetStrategy {
  switch (s.kind) {
    case "to-datetime":
      return { kind: "to-datetime", at: new Date(s.at).getTime() };
    case "by-duration":
      return { kind: "by-duration", ms: parseDuration(s.duration) };
    case "from-file":
      return { kind: "from-file", offsets: parseOffsetsCsv(s.csv) };
    default:
      return s;
  }
}

/**
 * Runs a group request on a cluster's client, with every failure turned into the user's error; a
 * cluster someone looks at is sampled for lag for the next while.
 */
async function onGroups<T>(ctx: Context, cluster: string, fn: (client: KafkaClient) => Promise<T>): Promise<T> {
  return onCluster(cluster, async () => {
    const client = await clusterConnections(ctx).client(cluster);
    ctx.services.lag?.watch(cluster);
    return fn(client);
  });
}

export const groupsRouter = router({
  list: viewerProcedure.input(z.object({ cluster })).query(async ({ ctx, input }) => {
    return onGroups(ctx, input.cluster, (client) => listGroups(client));
  }),

  get: viewerProcedure.input(z.object({ cluster, groupId })).query(async ({ ctx, input }) => {
    return onGroups(ctx, input.cluster, (client) => describeGroup(client, input.groupId));
  }),

  /** Lag over the last hour: sampled server-side every few seconds, by the minute from Postgres before this process started. */
  lagHistory: viewerProcedure.input(z.object({ cluster, groupId })).query(async ({ ctx, input }) => {
    ctx.services.lag?.watch(input.cluster);
    return (await ctx.services.lag?.history(input.cluster, input.groupId, Date.now() - LAG_HISTORY_MS)) ?? [];
  }),

  previewReset: viewerProcedure.input(z.object({ cluster, groupId, scope, strategy })).query(async ({ ctx, input }) => {
    return onGroups(ctx, input.cluster, (client) => previewReset(client, input.groupId, input.scope, toStrategy(input.strategy)));
  }),

  resetOffsets: operatorProcedure
    .input(
      z.object({
        cluster,
        groupId,
        scope,
        strategy,
        /** The new offsets the preview showed; the reset is refused if they no longer match. */
        approved: z.array(z.object({ topic: z.string(), partition: z.number().int().min(0), next: z.number().int().min(0) })).max(100_000).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
    ctx.audit.targetKind = "consumer-group";
    ctx.audit.target = `${input.cluster}/${input.groupId}`;
    const applied = await onGroups(ctx, input.cluster, (client) => executeReset(client, input.groupId, input.scope, toStrategy(input.strategy), input.approved));
    ctx.audit.before = applied.partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.current }));
    ctx.audit.after = applied.partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.next }));
    ctx.audit.details = { totals: applied.totals };
    log.info({ cluster: input.cluster, group: input.groupId, strategy: input.strategy.kind, ...applied.totals, by: ctx.user.username }, "consumer group offsets reset");
    return applied;
  }),

  delete: operatorProcedure.input(z.object({ cluster, groupId })).mutation(async ({ ctx, input }) => {
    ctx.audit.targetKind = "consumer-group";
    ctx.audit.target = `${input.cluster}/${input.groupId}`;
    await onGroups(ctx, input.cluster, async (client) => {
      ctx.audit.before = await committedOffsets(client, input.groupId);
      await deleteGroup(client, input.groupId);
    });
    return { deleted: input.groupId };
  }),

  deleteTopicOffsets: operatorProcedure.input(z.object({ cluster, groupId, topic: z.string().min(1).max(249) })).mutation(async ({ ctx, input }) => {
    ctx.audit.targetKind = "consumer-group";
    ctx.audit.target = `${input.cluster}/${input.groupId}`;
    const removed = await onGroups(ctx, input.cluster, (client) => deleteTopicOffsets(client, input.groupId, input.topic));
    ctx.audit.before = removed;
    return { removed: removed.length };
  }),

  /** The group's committed offsets in the tool's --from-file CSV (topic,partition,offset). */
  exportOffsets: viewerProcedure.input(z.object({ cluster, groupId })).query(async ({ ctx, input }) => {
    return { csv: formatOffsetsCsv(await onGroups(ctx, input.cluster, (client) => committedOffsets(client, input.groupId))) };
  }),
});
