import { ChannelCounters, type FlumeEvent, type Transaction, TransactionCapacityError, TransactionStateError } from "../model";
import { EventQueue } from "./queue";

/**
 * How a channel makes one transaction's puts and takes final. It checks what it must (capacity,
 * disk), writes what it must, and calls `settle` at the moment they become visible; rejecting
 * leaves the transaction open, so the caller can roll it back or commit again.
 */
export type CommitStaged<S> = (puts: S[], takes: S[], settle: () => void) => Promise<void>;

/**
 * The transaction bookkeeping every channel shares, as Flume's BasicTransactionSemantics: staged
 * puts within transactionCapacity, takes reserved from the head of the queue (still counted in
 * size until their commit), rollback returning them in order, Flume's counters, and one commit at
 * a time per transaction. `S` is what the channel keeps per event (the event, or the event with
 * its log sequence).
 */
export class ChannelTransactions<S> {
  readonly queue = new EventQueue<S>();
  readonly counters = new ChannelCounters();
  /** Events taken by open transactions: they occupy capacity until their take commits. */
  private reserved = 0;

  constructor(
    private readonly channel: string,
    readonly transactionCapacity: number,
    private readonly stage: (event: FlumeEvent) => S,
    private readonly eventOf: (stored: S) => FlumeEvent,
  ) {}

  /** Committed events not yet taken for good. */
  size(): number {
    return this.queue.length + this.reserved;
  }

  begin(commitStaged: CommitStaged<S>): Transaction {
    let puts: S[] = [];
    let takes: S[] = [];
    let open = true;
    let committing = false;
    const check = (what: string) => {
      if (!open || committing) throw new TransactionStateError(this.channel, `${what} on a ${open ? "committing" : "closed"} transaction`);
    };
    const close = () => {
      open = false;
      puts = [];
      takes = [];
    };
    return {
      put: (events) => {
        check("put");
        if (puts.length + events.length > this.transactionCapacity) throw new TransactionCapacityError(this.channel, puts.length + events.length, this.transactionCapacity);
        this.counters.EventPutAttemptCount += events.length;
        for (const e of events) puts.push(this.stage(e));
      },
      take: (max) => {
        check("take");
        this.counters.EventTakeAttemptCount++;
        const got = this.queue.shiftMany(Math.min(max, this.transactionCapacity - takes.length));
        this.reserved += got.length;
        for (const s of got) takes.push(s);
        return got.map(this.eventOf);
      },
      commit: async () => {
        check("commit");
        if (puts.length === 0 && takes.length === 0) return close();
        const myPuts = puts;
        const myTakes = takes;
        committing = true;
        try {
          await commitStaged(myPuts, myTakes, () => {
            this.queue.pushAll(myPuts);
            this.counters.EventPutSuccessCount += myPuts.length;
            this.reserved -= myTakes.length;
            this.counters.EventTakeSuccessCount += myTakes.length;
          });
        } finally {
          committing = false;
        }
        close();
      },
      rollback: () => {
        if (!open || committing) return;
        this.reserved -= takes.length;
        this.queue.unshiftAll(takes);
        close();
      },
    };
  }
}
