import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { browse, tail } from "../../admin/browse";
import { PRODUCE_CODECS } from "../../admin/clusters";
import { asUserError, onCluster } from "../../admin/kafka-errors";
import type { ProducerRecord } from "../../kafka/client";
import { operatorProcedure, router, viewerProcedure } from "../trpc";
import { clusterConnections } from "./clusters";
import { clusterInput } from "./topics";

const filters = z.object({
  key: z.string().max(4096).optional(),
  header: z.object({ name: z.string().min(1).max(256), value: z.string().max(4096).optional() }).optional(),
  text: z.string().max(4096).optional(),
  jsonata: z.string().max(4096).optional(),
});

const start = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("earliest") }),
  z.object({ kind: z.literal("latest") }),
  z.object({ kind: z.literal("offset"), offset: z.number().int().min(0) }),
  z.object({ kind: z.literal("timestamp"), timestamp: z.number().int().min(0) }),
  z.object({ kind: z.literal("positions"), positions: z.record(z.string(), z.number().int().min(0)) }),
]);

const isolation = z.enum(["read_committed", "read_uncommitted"]).default("read_committed");

/** Limits on one browse: a page is small, a filtered scan bounded. */
export const MAX_PAGE = 500;
export const MAX_SCAN = 1_000_000;
export const DEFAULT_SCAN = 100_000;
/** Records per produceBatch call; the Produce page uploads a file in chunks of this many. */
export const MAX_BATCH = 500;

/** How much of a produced value the audit trail keeps. */
const AUDITED_VALUE_CHARS = 1024;

const topicInput = clusterInput.extend({ topic: z.string().min(1).max(249) });

const headerInput = z.array(z.object({ key: z.string().min(1).max(256), value: z.string().max(1 << 20) })).max(64).default([]);

const recordInput = z.object({
  key: z.string().max(1 << 20).nullable().default(null),
  value: z.string().max(8 << 20).nullable(),
  headers: headerInput,
  /** Absent: the partitioner picks one (by key when there is one). */
  partition: z.number().int().min(0).optional(),
});

function checkJson(value: string | null, where: string) {
  if (value === null) return;
  const t = value.trim();
  if (!(t.startsWith("{") || t.startsWith("["))) return;
  try {
    JSON.parse(t);
  } catch (err) {
    throw new TRPCError({ code: "BAD_REQUEST", message: `${where} looks like JSON but does not parse: ${(err as Error).message}. Fix it, or send it as text.` });
  }
}

const text = (s: string | null) => (s === null ? null : Buffer.from(s));

/** A record as the Produce page sends it, for the client: text as UTF-8, headers in their order. */
function toProducerRecord(topic: string, r: z.infer<typeof recordInput>): ProducerRecord {
  return { topic, key: text(r.key), value: text(r.value), partition: r.partition, headers: r.headers.map((h) => ({ key: h.key, value: Buffer.from(h.value) })) };
}

export const messagesRouter = router({
  /**
   * One page of records, as a subscription so a long filtered scan reports progress and stops when
   * the browser unsubscribes (the Cancel button, or leaving the page).
   */
  browse: viewerProcedure
    .input(
      topicInput.extend({
        partitions: z.array(z.number().int().min(0)).max(10_000).optional(),
        start,
        limit: z.number().int().min(1).max(MAX_PAGE).default(50),
        filters: filters.default({}),
        isolation,
        scanLimit: z.number().int().min(1).max(MAX_SCAN).default(DEFAULT_SCAN),
      }),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      try {
        yield* browse(await clusterConnections(ctx).client(input.cluster), input, signal);
      } catch (err) {
        throw asUserError(err, input.cluster);
      }
    }),

  /** New records as they arrive, until the browser unsubscribes. */
  tail: viewerProcedure
    .input(topicInput.extend({ partitions: z.array(z.number().int().min(0)).max(10_000).optional(), filters: filters.default({}), isolation }))
    .subscription(async function* ({ ctx, input, signal }) {
      const client = await onCluster(input.cluster, () => clusterConnections(ctx).dedicatedClient(input.cluster));
      const stop = signal ?? new AbortController().signal;
      try {
        yield* tail(client, input, stop);
      } catch (err) {
        throw asUserError(err, input.cluster);
      } finally {
        await client.close();
      }
    }),

  /** One record; a null value is a tombstone (deletes its key from a compacted topic). */
  produce: operatorProcedure.input(topicInput.extend(recordInput.shape).extend({ compression: z.enum(PRODUCE_CODECS).default("none") })).mutation(async ({ ctx, input }) => {
    ctx.audit.targetKind = "topic";
    ctx.audit.target = `${input.cluster}/${input.topic}`;
    // The trail keeps what identifies the record; a large value is cut so the audit table stays small.
    ctx.audit.input = {
      cluster: input.cluster,
      topic: input.topic,
      key: input.key,
      partition: input.partition,
      headers: input.headers.map((h) => h.key),
      compression: input.compression,
      value: input.value && input.value.length > AUDITED_VALUE_CHARS ? `${input.value.slice(0, AUDITED_VALUE_CHARS)}… (${input.value.length} characters)` : input.value,
    };
    checkJson(input.value, "The value");
    const producer = await onCluster(input.cluster, () => clusterConnections(ctx).producer(input.cluster, input.compression));
    const [meta] = await onCluster(input.cluster, () => producer.send([toProducerRecord(input.topic, input)]));
    const result = { partition: meta.partition, offset: meta.offset };
    ctx.audit.after = result;
    return result;
  }),

  /** A chunk of an uploaded JSON-lines file: one produce request, acknowledged by the cluster as a whole. */
  produceBatch: operatorProcedure
    .input(topicInput.extend({ records: z.array(recordInput).min(1).max(MAX_BATCH), firstLine: z.number().int().min(1).default(1) }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.targetKind = "topic";
      ctx.audit.target = `${input.cluster}/${input.topic}`;
      input.records.forEach((r, i) => checkJson(r.value, `Line ${input.firstLine + i}'s value`));
      const producer = await onCluster(input.cluster, () => clusterConnections(ctx).producer(input.cluster));
      const metas = await onCluster(input.cluster, () => producer.send(input.records.map((r) => toProducerRecord(input.topic, r))));
      ctx.audit.input = { cluster: input.cluster, topic: input.topic, records: input.records.length, firstLine: input.firstLine };
      return { produced: input.records.length, partitions: metas.map((m) => m.partition) };
    }),
});
