import type { z } from "zod";
import type { LocalKafka } from "./kafka-security";
import type { FlumeEvent } from "./model";

/** Flume's source counters. */
export class SourceCounters {
  EventReceivedCount = 0;
  EventAcceptedCount = 0;
  AppendBatchReceivedCount = 0;
  AppendBatchAcceptedCount = 0;
  ChannelWriteFail = 0;
}

/** Flume's sink counters. */
export class SinkCounters {
  EventDrainAttemptCount = 0;
  EventDrainSuccessCount = 0;
  BatchCompleteCount = 0;
  BatchEmptyCount = 0;
  ConnectionFailedCount = 0;
}

/**
 * What a source hands its batches to: interceptors, then the selector, then one transaction per
 * selected channel. Rejects (ChannelFullError and the like) when a required channel refused the batch;
 * the source must then apply back-pressure and offer the same events again.
 */
export interface BatchSink {
  (events: FlumeEvent[]): Promise<void>;
}

export interface Source {
  readonly counters: SourceCounters;
  /** Set while the source cannot do its work (a command that will not run, a directory it cannot read); null once it recovers. */
  readonly lastError?: string | null;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface Sink {
  readonly counters: SinkCounters;
  readonly batchSize: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Delivers a batch; resolves only once the destination acknowledged it. */
  deliver(events: FlumeEvent[]): Promise<void>;
}

export interface Interceptor {
  /** Returns the events to keep (possibly modified); dropping is how filters work. */
  intercept(events: FlumeEvent[]): FlumeEvent[] | Promise<FlumeEvent[]>;
}

export interface Selector {
  /** Required and optional channels for one event. */
  select(event: FlumeEvent): { required: readonly string[]; optional: readonly string[] };
}

export interface CreateContext {
  /** The component's name in its flow. */
  name: string;
  /** Where a source's batches go; other kinds are given one that refuses. */
  put: BatchSink;
  /** The embedded broker, when the flow runs in the console's own agent (topic source and sink sign in to it). */
  localKafka?: LocalKafka;
  /**
   * Exactly-once topic → topic, for the transactional topic sink: the topic source upstream, whose
   * offsets the sink commits in its transactions (its group, and the header naming a record's topic).
   */
  sourceOffsets?: { groupId: string; topicHeader: string };
  /** For that topic source: the sink commits its offsets, so it must not commit them itself. */
  offsetsCommittedBySink?: boolean;
}

/** One component type: its names, the schema that validates its properties, and how it is made. */
export interface ComponentDefinition<T> {
  /** Our type name, then Flume's aliases and class names that mean the same component. */
  readonly types: readonly string[];
  readonly schema: z.ZodObject;
  /** Validates the properties against the schema (defaults applied) and makes the component. */
  create(props: unknown, ctx: CreateContext): T;
}

/**
 * Declares a component type in the module that implements it; create() receives the config as
 * its schema outputs it, so each component is typed by its own schema.
 */
export function defineComponent<S extends z.ZodObject, T>(d: { types: readonly string[]; schema: S; create(config: z.output<S>, ctx: CreateContext): T }): ComponentDefinition<T> {
  return { types: d.types, schema: d.schema, create: (props, ctx) => d.create(d.schema.parse(props), ctx) };
}
