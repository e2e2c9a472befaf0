import { KafkaClient } from "../kafka/client";
import { clientConfig, type ClusterSettings } from "./clusters";

export interface ClusterProbe {
  clusterId: string | null;
  controller: number | null;
  brokers: { nodeId: number; host: string; port: number }[];
}

export class ClusterUnreachable extends Error {}

/**
 * Connects with the given settings and asks for the cluster's brokers: what Save runs before it
 * stores a cluster, so a typo in a host or a wrong password is caught while the form is open.
 */
export async function probeCluster(settings: ClusterSettings, timeoutMs = 8000): Promise<ClusterProbe> {
  const client = new KafkaClient({ ...clientConfig(settings), retries: 0, connectTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs });
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    const described = client.admin.describeCluster();
    described.catch(() => undefined); // the race below reports it
    const d = await Promise.race([described, timeout]);
    return { clusterId: d.clusterId, controller: d.controllerId >= 0 ? d.controllerId : null, brokers: d.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })) };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ClusterUnreachable(
      `Could not connect to ${settings.bootstrapServers.join(", ")}: ${why}. Check the bootstrap servers, the TLS switch and the SASL user and password.`,
    );
  } finally {
    clearTimeout(timer);
    await client.close();
  }
}
