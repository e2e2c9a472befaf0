import { Kafka } from "kafkajs";
import { clientConfig } from "./clusters";

export interface ClusterSettings {
  bootstrapServers: string[];
  tls: boolean;
  sasl?: { mechanism: "plain" | "scram-sha-256" | "scram-sha-512"; username: string; password: string };
}

export interface ClusterProbe {
  clusterId: string;
  controller: number | null;
  brokers: { nodeId: number; host: string; port: number }[];
}

export class ClusterUnreachable extends Error {}

/**
 * Connects with the given settings and asks for the cluster's brokers: what Save runs before it
 * stores a cluster, so a typo in a host or a wrong password is caught while the form is open.
 */
export async function probeCluster(settings: ClusterSettings, timeoutMs = 8000): Promise<ClusterProbe> {
  const kafka = new Kafka({ ...clientConfig(settings), retry: { retries: 0 } });
  const admin = kafka.admin();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    const described = (async () => {
      await admin.connect();
      return admin.describeCluster();
    })();
    described.catch(() => undefined);
    const d = await Promise.race([described, timeout]);
    return { clusterId: d.clusterId, controller: d.controller, brokers: d.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })) };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ClusterUnreachable(
      `Could not connect to ${settings.bootstrapServers.join(", ")}: ${why}. Check the bootstrap servers, the TLS switch and the SASL user and password.`,
    );
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}
