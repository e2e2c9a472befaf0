/**
 * The Flume event model: an event is string headers plus a byte body, and every channel access is a
 * transaction (begin → put/take → commit or rollback). A source's put becomes visible to sinks only
 * when its commit resolves; a sink's take is forgotten by the channel only when its commit resolves,
 * so a crash or a failed delivery between take and commit hands the events out again (at-least-once).
 */
export interface FlumeEvent {
  headers: Record<string, string>;
  body: Buffer;
}

export interface Transaction {
  /** Stages events; they reach the channel on commit. */
  put(events: readonly FlumeEvent[]): void;
  /** Reserves up to `max` events for this transaction; rollback returns them to the head of the channel. */
  take(max: number): FlumeEvent[];
  /** Resolves once the puts and takes are durable (for a durable channel) and visible. */
  commit(): Promise<void>;
  rollback(): void;
}

/** Flume's channel counters, kept under Flume's names so its dashboards read them unchanged. */
export class ChannelCounters {
  EventPutAttemptCount = 0;
  EventPutSuccessCount = 0;
  EventTakeAttemptCount = 0;
  EventTakeSuccessCount = 0;
}

export interface ChannelStats {
  ChannelSize: number;
  ChannelCapacity: number;
  ChannelFillPercentage: number;
  EventPutAttemptCount: number;
  EventPutSuccessCount: number;
  EventTakeAttemptCount: number;
  EventTakeSuccessCount: number;
}

export interface Channel {
  readonly name: string;
  readonly transactionCapacity: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  begin(): Transaction;
  /** Committed events not yet taken for good (events reserved by open takes count). */
  size(): number;
  stats(): ChannelStats;
}

/** The channel cannot take a commit's puts now; the source should apply back-pressure and retry. */
export class ChannelFullError extends Error {
  constructor(channel: string, detail: string) {
    super(`channel ${channel} is full (${detail}); the source should retry later or the channel's capacity be raised`);
    this.name = "ChannelFullError";
  }
}

/** A transaction exceeded the channel's transactionCapacity — a configuration mistake, not a transient state. */
export class TransactionCapacityError extends Error {
  constructor(channel: string, n: number, capacity: number) {
    super(`channel ${channel}: a transaction of ${n} events exceeds transactionCapacity ${capacity}; lower the batchSize or raise transactionCapacity`);
    this.name = "TransactionCapacityError";
  }
}

export class TransactionStateError extends Error {
  constructor(channel: string, what: string) {
    super(`channel ${channel}: ${what}`);
    this.name = "TransactionStateError";
  }
}

export function statsOf(counters: ChannelCounters, size: number, capacity: number): ChannelStats {
  return {
    ChannelSize: size,
    ChannelCapacity: capacity,
    ChannelFillPercentage: capacity > 0 ? (size / capacity) * 100 : 0,
    EventPutAttemptCount: counters.EventPutAttemptCount,
    EventPutSuccessCount: counters.EventPutSuccessCount,
    EventTakeAttemptCount: counters.EventTakeAttemptCount,
    EventTakeSuccessCount: counters.EventTakeSuccessCount,
  };
}

export function eventBytes(e: FlumeEvent): number {
  let n = e.body.length;
  for (const k in e.headers) n += k.length + e.headers[k].length;
  return n;
}
