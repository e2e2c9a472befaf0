import { z } from "zod";
import { EMBEDDED_CLUSTER } from "../../admin/clusters";
import { onCluster } from "../../admin/kafka-errors";
import { abortTransaction, openTransactions, previewAbort } from "../../admin/transactions";
import { logger } from "../../log";
import { adminProcedure, router, viewerProcedure } from "../trpc";
import { clusterConnections } from "./clusters";

const log = logger("api.transactions");

const cluster = z.string().min(1).max(100).default(EMBEDDED_CLUSTER);
/** Kafka's string limit: a transactional id is a protocol string. */
const transactionalId = z.string().min(1).max(32_767);

export const transactionsRouter = router({
  /** Open transactions (ListTransactions + DescribeTransactions), or `supported: false` when the cluster lacks the APIs. */
  open: viewerProcedure.input(z.object({ cluster })).query(async ({ ctx, input }) => {
    return onCluster(input.cluster, async () => openTransactions(await clusterConnections(ctx).client(input.cluster)));
  }),

  /** What aborting a transaction would do; changes nothing. */
  previewAbort: viewerProcedure.input(z.object({ cluster, transactionalId })).query(async ({ ctx, input }) => {
    return onCluster(input.cluster, async () => previewAbort(await clusterConnections(ctx).client(input.cluster), input.transactionalId));
  }),

  /** Aborts the previewed transaction by fencing its producer (kafka-transactions forceTerminateTransaction, AdminClient fenceProducers). */
  abort: adminProcedure
    .input(
      z.object({
        cluster,
        transactionalId,
        /** The producer the preview showed; the abort is refused if the id has moved on. */
        producerId: z.number().int().min(0),
        producerEpoch: z.number().int().min(0).max(32_767),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      ctx.audit.targetKind = "transaction";
      ctx.audit.target = `${input.cluster}/${input.transactionalId}`;
      const done = await onCluster(input.cluster, async () =>
        abortTransaction(await clusterConnections(ctx).client(input.cluster), input.transactionalId, { producerId: input.producerId, producerEpoch: input.producerEpoch }),
      );
      const { aborted: t } = done;
      ctx.audit.before = { producerId: t.producerId, producerEpoch: t.producerEpoch, state: t.state, startedAt: t.startedAt, ageMs: t.ageMs, partitions: t.partitions, stable: t.stable };
      ctx.audit.after = { producerId: done.producerId, producerEpoch: done.producerEpoch, state: "aborted", stable: done.stable };
      log.info({ cluster: input.cluster, transactionalId: input.transactionalId, producerId: t.producerId, fencedEpoch: t.producerEpoch, newEpoch: done.producerEpoch, by: ctx.user.username }, "transaction aborted");
      return done;
    }),
});
