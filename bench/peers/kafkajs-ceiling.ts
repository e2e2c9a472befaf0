import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { makeValue } from "./workload";

/**
 * How fast kafkajs itself can turn records into produce requests on one core, with no socket and
 * no broker: the most any broker can be measured at through this client. When Tributary's
 * produce figure through kafkajs sits near this ceiling, the client — not the broker — is the
 * limit. Uses kafkajs's own request encoder (an internal module; kafkajs 2.x is frozen, so the
 * path is stable).
 */

interface ProduceRequest {
  encode(): Promise<{ buffer: Buffer }>;
}
type ProduceRequestV3 = (args: {
  acks: number;
  timeout: number;
  topicData: { topic: string; partitions: { partition: number; messages: { value: Buffer }[] }[] }[];
}) => ProduceRequest;

const require = createRequire(import.meta.url);

export async function kafkajsEncodeRecordsPerSecond(records: number, batch: number): Promise<number> {
  const encodeProduce = require("kafkajs/src/protocol/requests/produce/v3/request.js") as ProduceRequestV3;
  const value = makeValue();
  const start = performance.now();
  for (let done = 0; done < records; done += batch) {
    // Built per request, as producer.send() receives a fresh messages array each call.
    const messages = Array.from({ length: Math.min(batch, records - done) }, () => ({ value }));
    const request = encodeProduce({ acks: -1, timeout: 30_000, topicData: [{ topic: "ceiling", partitions: [{ partition: 0, messages }] }] });
    const { buffer } = await request.encode();
    if (buffer.length < messages.length * value.length) throw new Error("kafkajs produced a request shorter than its records");
  }
  return records / ((performance.now() - start) / 1000);
}
