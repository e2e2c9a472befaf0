import { metrics, type Counter, type Histogram } from "../metrics/registry";

/**
 * The broker's metrics, cached per topic so the produce and fetch paths add to a Counter object
 * instead of looking one up per request.
 */
interface TopicCounters {
  recordsIn: Counter;
  bytesIn: Counter;
  recordsOut: Counter;
  bytesOut: Counter;
}

const topics = new Map<string, TopicCounters>();

export function topicCounters(topic: string): TopicCounters {
  let c = topics.get(topic);
  if (!c) {
    const labels = { topic };
    c = {
      recordsIn: metrics.counter("tributary_broker_records_in_total", "records appended", labels),
      bytesIn: metrics.counter("tributary_broker_bytes_in_total", "record batch bytes appended", labels),
      recordsOut: metrics.counter("tributary_broker_records_out_total", "records served to consumers", labels),
      bytesOut: metrics.counter("tributary_broker_bytes_out_total", "record batch bytes served to consumers", labels),
    };
    topics.set(topic, c);
  }
  return c;
}

export function forgetTopic(topic: string): void {
  topics.delete(topic);
  for (const name of ["records_in", "bytes_in", "records_out", "bytes_out"]) metrics.remove(`tributary_broker_${name}_total`, { topic });
}

const requests = new Map<string, { count: Counter; latency: Histogram; errors: Counter }>();

export function requestMetrics(api: string) {
  let m = requests.get(api);
  if (!m) {
    const labels = { api };
    m = {
      count: metrics.counter("tributary_broker_requests_total", "Kafka protocol requests", labels),
      errors: metrics.counter("tributary_broker_request_failures_total", "requests that failed or were rejected", labels),
      latency: metrics.histogram("tributary_broker_request_latency_ms", "request handling time", labels),
    };
    requests.set(api, m);
  }
  return m;
}

export const connectionsTotal = metrics.counter("tributary_broker_connections_opened_total", "Kafka client connections accepted");
