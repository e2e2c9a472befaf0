import { z } from "zod";
import { clusterHealth } from "../../admin/brokers";
import { EMBEDDED_CLUSTER } from "../../admin/clusters";
import { onCluster } from "../../admin/kafka-errors";
import { router, viewerProcedure } from "../trpc";
import { clusterConnections } from "./clusters";

const cluster = z.string().min(1).max(100).default(EMBEDDED_CLUSTER);

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
});
