import { setTimeout as sleep } from "node:timers/promises";
import type { ClusterMember } from "../../cluster/member";
import { BrokerConnection } from "../../kafka/client/connection";
import type { SaslOptions } from "../../kafka/client/sasl";
import { byTopic, call } from "../../kafka/client/protocol";
import { ErrorCode, errorName } from "../../kafka/errors";
import { Apis } from "../../kafka/messages";
import { logger } from "../../log";
import { CoordinatorTopicCreator } from "../groups/cluster-coordinators";
import { TRANSACTION_STATE_TOPIC } from "./coordinator";

const log = logger("broker.transactions");

/** Kafka's transaction.state.log.min.isr: a state write survives one broker's loss once answered. */
const TRANSACTION_STATE_MIN_ISR = 2;
/** Between rounds of markers some partition leader refused or could not be reached for. */
const MARKER_RETRY_MS = 200;
/** How long a partition's leader waits for its in-sync replicas to take a marker before answering why not. */
export const MARKER_ACK_TIMEOUT_MS = 5_000;
/** Past the leader's wait for its replicas, so the answer (or its refusal) arrives. */
const MARKER_REQUEST_TIMEOUT_MS = 2 * MARKER_ACK_TIMEOUT_MS;

/** __transaction_state, created as transaction.state.log.* say: compacted, min.insync.replicas 2 once it has 3 replicas. */
export function transactionStateTopicCreator(cluster: ClusterMember): CoordinatorTopicCreator {
  return new CoordinatorTopicCreator(cluster, TRANSACTION_STATE_TOPIC, () => cluster.transactionStateLogPlacement(), (placement) => ({
    "cleanup.policy": "compact",
    "segment.bytes": String(100 << 20),
    ...(placement.replicationFactor >= 3 ? { "min.insync.replicas": String(TRANSACTION_STATE_MIN_ISR) } : {}),
  }));
}

/** Codes after which a partition needs no marker (again): acknowledged, refused for an older epoch, or gone. */
const SETTLED = new Set<number>([ErrorCode.NONE, ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);

/**
 * Kafka's TransactionMarkerChannelManager: a transaction's COMMIT/ABORT markers go with
 * WriteTxnMarkers to each partition's leader (this broker included, over the same protocol), and
 * a partition whose leader moved, or could not be reached, is sent again to its leader in the
 * metadata of the next round until it is acknowledged, which a leader does once the marker is on
 * the partition's in-sync replicas. `send` resolves once every marker is.
 */
export class TxnMarkerSender {
  private readonly conns = new Map<number, Promise<BrokerConnection>>();
  private closed = false;

  /** `sasl`: this broker's internal user, which every broker of the cluster accepts, for listeners that take only SASL. */
  constructor(
    private readonly cluster: ClusterMember,
    private readonly sasl?: SaslOptions,
  ) {}

  async send(producerId: number, producerEpoch: number, commit: boolean, partitions: { topic: string; partition: number }[]): Promise<void> {
    let pending = partitions;
    for (let round = 0; pending.length; round++) {
      if (this.closed) throw new Error("the broker is shutting down; the next coordinator writes the markers");
      if (round > 0) await sleep(MARKER_RETRY_MS);
      const byLeader = new Map<number, { topic: string; partition: number }[]>();
      const topics = this.cluster.metadata().topics;
      for (const tp of pending) {
        const state = topics.get(tp.topic)?.partitions[tp.partition];
        if (!state) {
          log.warn({ ...tp, producerId }, "a transaction's partition no longer exists; no marker written");
          continue;
        }
        const list = byLeader.get(state.leader);
        if (list) list.push(tp);
        else byLeader.set(state.leader, [tp]);
      }
      const left = await Promise.all([...byLeader].map(([leader, tps]) => this.sendTo(leader, producerId, producerEpoch, commit, tps)));
      pending = left.flat();
    }
  }

  /** The partitions whose marker is still to write after one WriteTxnMarkers to their leader. */
  private async sendTo(leader: number, producerId: number, producerEpoch: number, commit: boolean, tps: { topic: string; partition: number }[]): Promise<{ topic: string; partition: number }[]> {
    try {
      const conn = await this.connection(leader);
      const topics = [...byTopic(tps)].map(([name, ps]) => ({ name, partitionIndexes: ps.map((p) => p.partition) }));
      const res = await call(conn, Apis.WriteTxnMarkers, { markers: [{ producerId, producerEpoch, transactionResult: commit, topics, coordinatorEpoch: 0 }] });
      const left: { topic: string; partition: number }[] = [];
      for (const t of res.markers[0]?.topics ?? []) {
        for (const p of t.partitions) {
          if (SETTLED.has(p.errorCode)) continue;
          log.debug({ leader, topic: t.name, partition: p.partitionIndex, error: errorName(p.errorCode) }, "a marker was refused; sending it again to the partition's leader");
          left.push({ topic: t.name, partition: p.partitionIndex });
        }
      }
      return left;
    } catch (err) {
      log.warn({ leader, producerId, err: (err as Error).message }, "sending markers failed; retrying");
      void this.conns.get(leader)?.then((c) => c.close(), () => undefined);
      this.conns.delete(leader);
      return tps;
    }
  }

  private connection(nodeId: number): Promise<BrokerConnection> {
    const known = this.conns.get(nodeId);
    if (known) {
      return known.then((c) => {
        if (!c.closed) return c;
        this.conns.delete(nodeId);
        return this.connection(nodeId);
      });
    }
    const at = this.cluster.metadata().brokers.find((x) => x.nodeId === nodeId);
    if (!at) return Promise.reject(new Error(`broker ${nodeId} is not live now`));
    const opening = BrokerConnection.open({ host: at.host, port: at.port, clientId: `tributary-txn-markers-${this.cluster.nodeId}`, connectTimeoutMs: 3000, requestTimeoutMs: MARKER_REQUEST_TIMEOUT_MS, maxInFlight: 16, maxResponseBytes: 1 << 20, ...(this.sasl ? { sasl: this.sasl } : {}) });
    opening.catch(() => this.conns.delete(nodeId));
    this.conns.set(nodeId, opening);
    return opening;
  }

  close(): void {
    this.closed = true;
    for (const c of this.conns.values()) void c.then((x) => x.close(), () => undefined);
    this.conns.clear();
  }
}
