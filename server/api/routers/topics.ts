import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { EMBEDDED_CLUSTER } from "../../admin/clusters";
import { onCluster } from "../../admin/kafka-errors";
import { topicNameProblem } from "../../admin/topic-name";
import { partitionKey } from "../../kafka/partition-key";
import { createTopic, groupsReading, listTopics, offsetsAt, overridesOf, topicConfigs, topicPartitions, type TopicRates } from "../../admin/topics";
import { ConfigResourceType } from "../../kafka/constants";
import { adminProcedure, router, viewerProcedure, type Context } from "../trpc";
import { clusterConnections } from "./clusters";

export const clusterInput = z.object({ cluster: z.string().min(1).default(EMBEDDED_CLUSTER) });
const topicInput = clusterInput.extend({ topic: z.string().min(1).max(249) });

/**
 * The embedded broker's own metrics when that is the cluster viewed and it is the whole cluster;
 * for any other, and for a broker of a Tributary cluster (whose metrics count only the partitions
 * it leads), the console's sampler, which counts every broker's appends and which viewing the list
 * keeps sampling that cluster, as the dashboard does.
 */
function ratesOf(ctx: Context, cluster: string): TopicRates {
  const broker = cluster === EMBEDDED_CLUSTER ? ctx.services.broker?.instance : undefined;
  const series = broker && !broker.cluster ? ctx.services.sampler : undefined;
  if (series) return { kind: "metrics", series };
  ctx.services.lag?.watch(cluster);
  return { kind: "sampled", latest: ctx.services.lag?.rates.latestIn(cluster) };
}

/** The cluster's shared client, with a failure to find the cluster turned into a user's error. */
function clientOf(ctx: Context, cluster: string) {
  return onCluster(cluster, () => clusterConnections(ctx).client(cluster));
}

const topicName = z.string().superRefine((name, c) => {
  const problem = topicNameProblem(name);
  if (problem) c.addIssue({ code: "custom", message: problem });
});

const configMap = z.record(z.string().min(1), z.string());

export const topicsRouter = router({
  list: viewerProcedure.input(clusterInput).query(async ({ ctx, input }) => {
    const client = await clientOf(ctx, input.cluster);
    return onCluster(input.cluster, () => listTopics(client, ratesOf(ctx, input.cluster)));
  }),

  /** Everything the topic page shows except consumer groups, which cost one request per group. */
  get: viewerProcedure.input(topicInput).query(async ({ ctx, input }) => {
    const client = await clientOf(ctx, input.cluster);
    return onCluster(input.cluster, async () => {
      const [partitions, configs] = await Promise.all([topicPartitions(client, input.topic, { sizes: true }), topicConfigs(client, input.topic)]);
      const sized = partitions.every((p) => p.sizeBytes !== null);
      return {
        name: input.topic,
        partitions,
        configs,
        records: partitions.reduce((n, p) => n + p.records, 0),
        sizeBytes: sized ? partitions.reduce((n, p) => n + (p.sizeBytes ?? 0), 0) : null,
      };
    });
  }),

  groups: viewerProcedure.input(topicInput).query(async ({ ctx, input }) => {
    const client = await clientOf(ctx, input.cluster);
    return onCluster(input.cluster, async () => groupsReading(client, input.topic, await topicPartitions(client, input.topic)));
  }),

  create: adminProcedure
    .input(
      clusterInput.extend({
        name: topicName,
        partitions: z.number().int().min(1).max(10_000),
        /** -1: the cluster's default.replication.factor. */
        replicationFactor: z.number().int().min(-1).max(32).default(-1),
        configs: configMap.default({}),
        validateOnly: z.boolean().default(false),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      ctx.audit.targetKind = "topic";
      ctx.audit.target = `${input.cluster}/${input.name}`;
      ctx.audit.after = { partitions: input.partitions, replicationFactor: input.replicationFactor, configs: input.configs };
      const client = await clientOf(ctx, input.cluster);
      await onCluster(input.cluster, () =>
        createTopic(client, { name: input.name, numPartitions: input.partitions, replicationFactor: input.replicationFactor, configs: input.configs }, input.validateOnly),
      );
      return { name: input.name };
    }),

  /**
   * Replaces the topic's overrides with `configs` (AlterConfigs semantics: a config left out goes
   * back to its default). The audit row keeps both sets, the page shows the same diff before saving.
   */
  alterConfigs: adminProcedure.input(topicInput.extend({ configs: configMap })).mutation(async ({ ctx, input }) => {
    ctx.audit.targetKind = "topic";
    ctx.audit.target = `${input.cluster}/${input.topic}`;
    const client = await clientOf(ctx, input.cluster);
    return onCluster(input.cluster, async () => {
      const before = overridesOf(await topicConfigs(client, input.topic));
      ctx.audit.before = before;
      await client.admin.alterConfigs([{ type: ConfigResourceType.TOPIC, name: input.topic, configs: input.configs }]);
      const after = overridesOf(await topicConfigs(client, input.topic));
      ctx.audit.after = after;
      return { before, after };
    });
  }),

  addPartitions: adminProcedure.input(topicInput.extend({ count: z.number().int().min(1).max(10_000) })).mutation(async ({ ctx, input }) => {
    ctx.audit.targetKind = "topic";
    ctx.audit.target = `${input.cluster}/${input.topic}`;
    const client = await clientOf(ctx, input.cluster);
    return onCluster(input.cluster, async () => {
      const current = (await topicPartitions(client, input.topic)).length;
      ctx.audit.before = { partitions: current };
      if (input.count <= current) {
        throw new TRPCError({ code: "BAD_REQUEST", message: `${input.topic} has ${current} partitions; Kafka can only add partitions, so enter more than ${current}.` });
      }
      await client.admin.createPartitions([{ topic: input.topic, count: input.count }]);
      ctx.audit.after = { partitions: input.count };
      return { partitions: input.count };
    });
  }),

  delete: adminProcedure.input(topicInput.extend({ confirm: z.string() })).mutation(async ({ ctx, input }) => {
    ctx.audit.targetKind = "topic";
    ctx.audit.target = `${input.cluster}/${input.topic}`;
    if (input.confirm !== input.topic) throw new TRPCError({ code: "BAD_REQUEST", message: `Type the topic's name (${input.topic}) to confirm the deletion.` });
    const client = await clientOf(ctx, input.cluster);
    return onCluster(input.cluster, async () => {
      const partitions = await topicPartitions(client, input.topic);
      ctx.audit.before = { partitions: partitions.length, records: partitions.reduce((n, p) => n + p.records, 0) };
      await client.admin.deleteTopics([input.topic]);
      return { ok: true };
    });
  }),

  /**
   * DeleteRecords: moves the log start of the chosen partitions (all when none are named) up to an
   * offset, to the first record at or after a time, or to the end. Returns the new log starts.
   */
  purge: adminProcedure
    .input(
      topicInput.extend({
        partitions: z.array(z.number().int().min(0)).optional(),
        upTo: z.discriminatedUnion("kind", [
          z.object({ kind: z.literal("end") }),
          z.object({ kind: z.literal("offset"), offset: z.number().int().min(0) }),
          z.object({ kind: z.literal("timestamp"), timestamp: z.number().int().min(0) }),
        ]),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      ctx.audit.targetKind = "topic";
      ctx.audit.target = `${input.cluster}/${input.topic}`;
      const client = await clientOf(ctx, input.cluster);
      return onCluster(input.cluster, async () => {
        const all = await topicPartitions(client, input.topic);
        const chosen = input.partitions?.length ? all.filter((p) => input.partitions!.includes(p.partition)) : all;
        const missing = input.partitions?.filter((p) => !all.some((x) => x.partition === p)) ?? [];
        if (missing.length) throw new TRPCError({ code: "BAD_REQUEST", message: `${input.topic} has no partition ${missing.join(", ")}; it has ${all.length}.` });
        let targets: Map<number, number>;
        if (input.upTo.kind === "end") targets = new Map(chosen.map((p) => [p.partition, p.logEndOffset]));
        else if (input.upTo.kind === "offset") {
          const offset = input.upTo.offset;
          targets = new Map(chosen.map((p) => [p.partition, Math.min(offset, p.logEndOffset)]));
        } else {
          const at = await offsetsAt(client, chosen.map((p) => ({ topic: input.topic, partition: p.partition })), input.upTo.timestamp);
          // -1: no record at or after the time, so every record is older and goes.
          targets = new Map(chosen.map((p) => {
            const o = at.get(partitionKey(input.topic, p.partition)) ?? -1;
            return [p.partition, o < 0 ? p.logEndOffset : o];
          }));
        }
        const moves = chosen.filter((p) => (targets.get(p.partition) ?? 0) > p.logStartOffset);
        ctx.audit.before = Object.fromEntries(chosen.map((p) => [p.partition, p.logStartOffset]));
        const moved = moves.length ? await client.admin.deleteRecords(moves.map((p) => ({ topic: input.topic, partition: p.partition, offset: targets.get(p.partition)! }))) : [];
        const starts = new Map(moved.map((m) => [m.partition, m.offset]));
        const after = Object.fromEntries(chosen.map((p) => [p.partition, starts.get(p.partition) ?? p.logStartOffset]));
        ctx.audit.after = after;
        const removed = chosen.reduce((n, p) => n + ((after[p.partition] ?? p.logStartOffset) - p.logStartOffset), 0);
        return { logStartOffsets: after, removed };
      });
    }),
});
