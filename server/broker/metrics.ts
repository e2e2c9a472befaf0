import { metrics, type Counter, type Histogram } from "../metrics/registry";

/**
 * The broker's metrics. Record and byte counters are labelled by topic and partition (sum by
 * topic for per-topic rates) and cached, so the produce and fetch paths add to a Counter object
 * instead of looking one up per request.
 */
export interface PartitionCounters {
  recordsIn: Counter;
  bytesIn: Counter;
  recordsOut: Counter;
  bytesOut: Counter;
}

const FAMILIES = {
  recordsIn: ["tributary_broker_records_in_total", "records appended"],
  bytesIn: ["tributary_broker_bytes_in_total", "record batch bytes appended"],
  recordsOut: ["tributary_broker_records_out_total", "records served to consumers"],
  bytesOut: ["tributary_broker_bytes_out_total", "record batch bytes served to consumers"],
} as const;

const partitions = new Map<string, PartitionCounters[]>();

export function partitionCounters(topic: string, partition: number): PartitionCounters {
  let byPartition = partitions.get(topic);
  if (!byPartition) partitions.set(topic, (byPartition = []));
  let c = byPartition[partition];
  if (!c) {
    const labels = { topic, partition: String(partition) };
    c = byPartition[partition] = {
      recordsIn: metrics.counter(FAMILIES.recordsIn[0], FAMILIES.recordsIn[1], labels),
      bytesIn: metrics.counter(FAMILIES.bytesIn[0], FAMILIES.bytesIn[1], labels),
      recordsOut: metrics.counter(FAMILIES.recordsOut[0], FAMILIES.recordsOut[1], labels),
      bytesOut: metrics.counter(FAMILIES.bytesOut[0], FAMILIES.bytesOut[1], labels),
    };
  }
  return c;
}

/** A deleted topic's series go with it, so a topic re-created under the same name starts from zero. */
export function forgetTopic(topic: string): void {
  partitions.delete(topic);
  for (const [name] of Object.values(FAMILIES)) metrics.remove(name, { topic });
}

const requests = new Map<string, { count: Counter; latency: Histogram; errors: Counter }>();

export function requestMetrics(api: string) {
  let m = requests.get(api);
  if (!m) {
    const labels = { api };
    m = {
      count: metrics.counter("tributary_broker_requests_total", "Kafka protocol requests", labels),
      errors: metrics.counter("tributary_broker_request_failures_total", "requests that failed or were rejected", labels),
      latency: metrics.histogram("tributary_broker_request_latency_ms", "request handling time, from the parsed request to the response queued", labels),
    };
    requests.set(api, m);
  }
  return m;
}

export const connectionsTotal = metrics.counter("tributary_broker_connections_opened_total", "Kafka client connections accepted");
