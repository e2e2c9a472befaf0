import { z } from "zod";
import { EMBEDDED_CLUSTER } from "../../admin/clusters";
import { onCluster } from "../../admin/kafka-errors";
import { openTransactions } from "../../admin/transactions";
import { router, viewerProcedure } from "../trpc";
import { clusterConnections } from "./clusters";

const cluster = z.string().min(1).max(100).default(EMBEDDED_CLUSTER);

export const transactionsRouter = router({
  /** Open transactions (ListTransactions + DescribeTransactions), or `supported: false` when the cluster lacks the APIs. */
  open: viewerProcedure.input(z.object({ cluster })).query(async ({ ctx, input }) => {
    return onCluster(input.cluster, async () => openTransactions(await clusterConnections(ctx).client(input.cluster)));
  }),
});
