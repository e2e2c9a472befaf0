import type { z } from "zod";
import type { Channel, FlumeEvent } from "./model";

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

export interface ComponentSpec<S extends z.ZodType, T> {
  /** Our type name, then Flume's aliases and class names that mean the same component. */
  types: readonly string[];
  schema: S;
  create(name: string, config: z.infer<S>, ctx: CreateContext): T;
}

export interface CreateContext {
  /** Per-flow working directory for components that keep state (position files, channel logs). */
  dataDir: string;
  put: BatchSink;
  channel?: Channel;
  channels: readonly string[];
}
