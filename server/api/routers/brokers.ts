import { z } from "zod";
import { clusterHealth } from "../../admin/brokers";
import { EMBEDDED_CLUSTER } from "../../admin/clusters";
import { onCluster } from "../../admin/kafka-errors";
import { applyMoves, cancelReassignments, electPreferred, ongoingReassignments, previewDrain, previewElection, previewMoves, StaleMoveError, type Move } from "../../admin/reassign";
import type { KafkaClient } from "../../kafka/client";
import { logger } from "../../log";
import { adminProcedure, router, viewerProcedure, type Context } from "../trpc";
import { clusterConnections } from "./clusters";
import { partitionKey } from "../../kafka/partition-key";

const log = logger("api.brokers");

const cluster = z.string().min(1).max(100).default(EMBEDDED_CLUSTER);
const topic = z.string().min(1).max(249);
const partition = z.number().int().min(0);
const nodeId = z.number().int().min(0);
const replicas = z.array(nodeId).min(1).max(100);
const partitions = z.array(z.object({ topic, partition })).max(100_000);
/** The moves the preview showed, checked against the cluster before they are sent. */
const moves = z.array(z.object({ topic, partition, from: replicas, to: replicas })).max(100_000);

async function on<T>(ctx: Context, name: string, fn: (client: KafkaClient) => Promise<T>): Promise<T> {
  return onCluster(name, async () => fn(await clusterConnections(ctx).client(name)));
}

const key = (m: { topic: string; partition: number }) => partitionKey(m.topic, m.partition);

/** The audit rows of a reassignment: the replicas before and after, partition by partition. */
function auditMoves(ctx: Context, name: string, target: string, applied: Move[]): void {
  ctx.audit.targetKind = "cluster";
  ctx.audit.target = `${name}/${target}`;
  ctx.audit.before = applied.map((m) => ({ topic: m.topic, partition: m.partition, replicas: m.from }));
  ctx.audit.after = applied.map((m) => ({ topic: m.topic, partition: m.partition, replicas: m.to }));
}

export const brokersRouter = router({
  /** Every broker with its leaderships, replicas, disk and under-replicated partitions, and the cluster's partition health. */
  list: viewerProcedure.input(z.object({ cluster })).query(({ ctx, input }) =>
    onCluster(input.cluster, async () => {
      const client = await clusterConnections(ctx).client(input.cluster);
      // Coordination state is known only for the broker this process runs, and only on its own cluster.
      const member = input.cluster === EMBEDDED_CLUSTER ? ctx.services.broker?.instance?.cluster : undefined;
      return clusterHealth(client, member);
    }),
  ),

  /** Current → target replicas of the named partitions, the leadership change and the bytes to copy. */
  previewReassign: viewerProcedure
    .input(z.object({ cluster, targets: z.array(z.object({ topic, partition, replicas })).min(1).max(100_000) }))
    .query(({ ctx, input }) => on(ctx, input.cluster, (client) => previewMoves(client, input.targets))),

  /** Every partition with a replica on the broker and where that replica goes. */
  previewDrain: viewerProcedure.input(z.object({ cluster, nodeId })).query(({ ctx, input }) => on(ctx, input.cluster, (client) => previewDrain(client, input.nodeId))),

  /** Partitions not led by their preferred (first) replica. */
  previewElection: viewerProcedure.input(z.object({ cluster })).query(({ ctx, input }) => on(ctx, input.cluster, (client) => previewElection(client))),

  /** The reassignments in progress with their copy progress. */
  reassignments: viewerProcedure.input(z.object({ cluster })).query(({ ctx, input }) => on(ctx, input.cluster, (client) => ongoingReassignments(client))),

  reassign: adminProcedure.input(z.object({ cluster, moves })).mutation(async ({ ctx, input }) => {
    const applied = await on(ctx, input.cluster, (client) => applyMoves(client, input.moves));
    auditMoves(ctx, input.cluster, [...new Set(applied.map((m) => m.topic))].join(","), applied);
    log.info({ cluster: input.cluster, partitions: applied.length, by: ctx.user?.username }, "partition reassignment started");
    return { started: applied.length };
  }),

  /** Moves every replica off the broker: the plan is made again and must be the one previewed. */
  drain: adminProcedure.input(z.object({ cluster, nodeId, moves })).mutation(async ({ ctx, input }) => {
    const applied = await on(ctx, input.cluster, async (client) => {
      const plan = await previewDrain(client, input.nodeId);
      const approved = new Map(input.moves.map((m) => [key(m), m.to.join(",")]));
      if (plan.moves.length !== approved.size || plan.moves.some((m) => approved.get(key(m)) !== m.to.join(","))) {
        throw new StaleMoveError(`Broker ${input.nodeId}'s partitions or the live brokers changed since the preview; preview the drain again.`);
      }
      return applyMoves(client, plan.moves);
    });
    auditMoves(ctx, input.cluster, `broker-${input.nodeId}`, applied);
    ctx.audit.details = { drained: input.nodeId };
    log.info({ cluster: input.cluster, broker: input.nodeId, partitions: applied.length, by: ctx.user?.username }, "broker drain started");
    return { started: applied.length };
  }),

  cancelReassignments: adminProcedure.input(z.object({ cluster, partitions })).mutation(async ({ ctx, input }) => {
    ctx.audit.targetKind = "cluster";
    ctx.audit.target = `${input.cluster}/${[...new Set(input.partitions.map((p) => p.topic))].join(",")}`;
    await on(ctx, input.cluster, (client) => cancelReassignments(client, input.partitions));
    return { cancelled: input.partitions.length };
  }),

  /** ElectLeaders(preferred) on the partitions the preview listed; per-partition results in words. */
  electPreferred: adminProcedure.input(z.object({ cluster, partitions })).mutation(async ({ ctx, input }) => {
    ctx.audit.targetKind = "cluster";
    ctx.audit.target = `${input.cluster}/preferred-leaders`;
    const results = await on(ctx, input.cluster, (client) => electPreferred(client, input.partitions));
    ctx.audit.after = results.map((r) => ({ topic: r.topic, partition: r.partition, result: r.error }));
    return results;
  }),
});
