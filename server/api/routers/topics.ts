import { TRPCError } from "@trpc/server";
import kafkajs from "kafkajs";
import { z } from "zod";
import { onCluster } from "../../admin/kafka-errors";
import {
  groupsReading,
  listTopics,
  overridesOf,
  topicConfigs,
  topicPartitions,
  topicThroughput,
  type EmbeddedFacts,
} from "../../admin/topics";
import { topicNameProblem } from "../../admin/topic-name";
import { EARLIEST } from "../../admin/kafka-requests";
import { EMBEDDED_CLUSTER } from "../../admin/clusters";
import { adminProcedure, router, viewerProcedure, type Context } from "../trpc";
import { clusterConnections } from "./clusters";

const { ConfigResourceTypes } = kafkajs;

export const clusterInput = z.object({ cluster: z.string().min(1).default(EMBEDDED_CLUSTER) });
const topicInput = clusterInput.extend({ topic: z.string().min(1).max(249) });

export function embeddedFacts(ctx: Context, cluster: string): EmbeddedFacts | undefined {
  const broker = ctx.services.broker?.instance;
  return cluster === EMBEDDED_CLUSTER && broker ? { broker, series: ctx.services.sampler } : undefined;
}

const topicName = z.string().superRefine((name, c) => {
  const problem = topicNameProblem(name);
  if (problem) c.addIssue({ code: "custom", message: problem });
});

const configMap = z.record(z.string().min(1), z.string());

const LIVE_WINDOW_MS = 15 * 60_000;

export const topicsRouter = router({
  list: viewerProcedure.input(clusterInput).query(async ({ ctx, input }) => {
    const c = clusterConnections(ctx);
    return onCluster(input.cluster, async () => listTopics(await c.admin(input.cluster), await c.requests(input.cluster), embeddedFacts(ctx, input.cluster)));
  }),

  /** Everything the topic page shows except consumer groups, which cost one request per group. */
  get: viewerProcedure.input(topicInput).query(async ({ ctx, input }) => {
    const c = clusterConnections(ctx);
    return onCluster(input.cluster, async () => {
      const facts = embeddedFacts(ctx, input.cluster);
      const [partitions, configs] = await Promise.all([topicPartitions(await c.requests(input.cluster), input.topic, facts), topicConfigs(await c.admin(input.cluster), input.topic)]);
      return {
        name: input.topic,
        partitions,
        configs,
        embedded: Boolean(facts),
        records: partitions.reduce((n, p) => n + p.records, 0),
        sizeBytes: facts ? partitions.reduce((n, p) => n + (p.sizeBytes ?? 0), 0) : null,
      };
    });
  }),

  groups: viewerProcedure.input(topicInput).query(async ({ ctx, input }) => {
    const c = clusterConnections(ctx);
    return onCluster(input.cluster, async () => {
      const partitions = await topicPartitions(await c.requests(input.cluster), input.topic, undefined);
      return groupsReading(await c.admin(input.cluster), input.topic, partitions);
    });
  }),

  /** Per-second rates of the last 15 minutes; null for clusters other than the embedded broker. */
  throughput: viewerProcedure.input(topicInput).query(({ ctx, input }) => {
    const facts = embeddedFacts(ctx, input.cluster);
    return facts ? topicThroughput(facts.series, input.topic, Date.now() - LIVE_WINDOW_MS) : null;
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
      const admin = await clusterConnections(ctx).admin(input.cluster);
      const created = await onCluster(input.cluster, () =>
        admin.createTopics({
          validateOnly: input.validateOnly,
          waitForLeaders: !input.validateOnly,
          topics: [
            {
              topic: input.name,
              numPartitions: input.partitions,
              replicationFactor: input.replicationFactor,
              configEntries: Object.entries(input.configs).map(([name, value]) => ({ name, value })),
            },
          ],
        }),
      );
      if (!created && !input.validateOnly) throw new TRPCError({ code: "CONFLICT", message: `Topic ${input.name} exists already; pick another name.` });
      return { name: input.name };
    }),

  /**
   * Replaces the topic's overrides with `configs` (AlterConfigs semantics: a config left out goes
   * back to its default). The audit row keeps both sets, the page shows the same diff before saving.
   */
  alterConfigs: adminProcedure.input(topicInput.extend({ configs: configMap })).mutation(async ({ ctx, input }) => {
    ctx.audit.targetKind = "topic";
    ctx.audit.target = `${input.cluster}/${input.topic}`;
    const admin = await clusterConnections(ctx).admin(input.cluster);
    return onCluster(input.cluster, async () => {
      const before = overridesOf(await topicConfigs(admin, input.topic));
      ctx.audit.before = before;
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: input.topic, configEntries: Object.entries(input.configs).map(([name, value]) => ({ name, value })) }],
      });
      const after = overridesOf(await topicConfigs(admin, input.topic));
      ctx.audit.after = after;
      return { before, after };
    });
  }),

  addPartitions: adminProcedure.input(topicInput.extend({ count: z.number().int().min(1).max(10_000) })).mutation(async ({ ctx, input }) => {
    ctx.audit.targetKind = "topic";
    ctx.audit.target = `${input.cluster}/${input.topic}`;
    const c = clusterConnections(ctx);
    const requests = await c.requests(input.cluster);
    return onCluster(input.cluster, async () => {
      const current = (await requests.partitions(input.topic)).length;
      ctx.audit.before = { partitions: current };
      if (input.count <= current) {
        throw new TRPCError({ code: "BAD_REQUEST", message: `${input.topic} has ${current} partitions; Kafka can only add partitions, so enter more than ${current}.` });
      }
      await (await c.admin(input.cluster)).createPartitions({ topicPartitions: [{ topic: input.topic, count: input.count }] });
      ctx.audit.after = { partitions: input.count };
      return { partitions: input.count };
    });
  }),

  delete: adminProcedure.input(topicInput.extend({ confirm: z.string() })).mutation(async ({ ctx, input }) => {
    ctx.audit.targetKind = "topic";
    ctx.audit.target = `${input.cluster}/${input.topic}`;
    if (input.confirm !== input.topic) throw new TRPCError({ code: "BAD_REQUEST", message: `Type the topic's name (${input.topic}) to confirm the deletion.` });
    const c = clusterConnections(ctx);
    return onCluster(input.cluster, async () => {
      const partitions = await topicPartitions(await c.requests(input.cluster), input.topic, undefined);
      ctx.audit.before = { partitions: partitions.length, records: partitions.reduce((n, p) => n + p.records, 0) };
      await (await c.admin(input.cluster)).deleteTopics({ topics: [input.topic] });
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
      const c = clusterConnections(ctx);
      const requests = await c.requests(input.cluster);
      return onCluster(input.cluster, async () => {
        const all = await topicPartitions(requests, input.topic, undefined);
        const chosen = input.partitions?.length ? all.filter((p) => input.partitions!.includes(p.partition)) : all;
        const missing = input.partitions?.filter((p) => !all.some((x) => x.partition === p)) ?? [];
        if (missing.length) throw new TRPCError({ code: "BAD_REQUEST", message: `${input.topic} has no partition ${missing.join(", ")}; it has ${all.length}.` });
        let targets: Map<number, number>;
        if (input.upTo.kind === "end") targets = new Map(chosen.map((p) => [p.partition, p.logEndOffset]));
        else if (input.upTo.kind === "offset") {
          const offset = input.upTo.offset;
          targets = new Map(chosen.map((p) => [p.partition, Math.min(offset, p.logEndOffset)]));
        } else {
          const at = await requests.listOffsets([{ topic: input.topic, partitions: chosen.map((p) => p.partition) }], input.upTo.timestamp);
          // -1: no record at or after the time, so every record is older and goes.
          targets = new Map(chosen.map((p) => {
            const o = at.get(`${input.topic}:${p.partition}`) ?? -1;
            return [p.partition, o < 0 ? p.logEndOffset : o];
          }));
        }
        const moves = chosen.filter((p) => (targets.get(p.partition) ?? 0) > p.logStartOffset);
        ctx.audit.before = Object.fromEntries(chosen.map((p) => [p.partition, p.logStartOffset]));
        if (moves.length) {
          const admin = await c.admin(input.cluster);
          // kafkajs's deleteTopicRecords looks leaders up in its cached metadata without refreshing it,
          // so a topic created since this shared admin last loaded metadata has "no leader".
          await admin.fetchTopicMetadata({ topics: [input.topic] });
          await admin.deleteTopicRecords({
            topic: input.topic,
            partitions: moves.map((p) => ({ partition: p.partition, offset: String(targets.get(p.partition)) })),
          });
        }
        const q = [{ topic: input.topic, partitions: chosen.map((p) => p.partition) }];
        const starts = await requests.listOffsets(q, EARLIEST);
        const after = Object.fromEntries(chosen.map((p) => [p.partition, starts.get(`${input.topic}:${p.partition}`) ?? 0]));
        ctx.audit.after = after;
        const removed = chosen.reduce((n, p) => n + ((after[p.partition] ?? p.logStartOffset) - p.logStartOffset), 0);
        return { logStartOffsets: after, removed };
      });
    }),
});
