import type { Channel, FlumeEvent, Transaction } from "./model";

/** Events a tap keeps per side; older ones drop off. A tap is for a look, not for a copy of the stream. */
export const TAP_CAPACITY = 25;
/** Body bytes kept per event. */
export const TAP_BODY_BYTES = 1024;
/** A tap nobody read for this long detaches itself, so a forgotten browser tab costs nothing. */
export const TAP_IDLE_MS = 60_000;

export interface TappedEvent {
  at: number;
  headers: Record<string, string>;
  body: string;
  truncated: boolean;
  bytes: number;
}

type Side = "put" | "take";

/**
 * A debugging tap on a channel: the latest events committed into it (put: what its sources sent)
 * and out of it (take: what its sinks delivered), bounded in count and size. Attaching wraps the
 * channel's begin() and records only committed batches; detaching restores the channel as it was.
 * Nothing is copied while no tap is attached.
 */
export class ChannelTap {
  private readonly rings: Record<Side, TappedEvent[]> = { put: [], take: [] };
  private readonly seen: Record<Side, number> = { put: 0, take: 0 };
  private readonly hadOwnBegin: boolean;
  private readonly original: Channel["begin"];
  private lastRead = Date.now();

  constructor(readonly channel: Channel) {
    this.hadOwnBegin = Object.prototype.hasOwnProperty.call(channel, "begin");
    // Bound, so that putting it back (when it was the channel's own) keeps its `this`.
    this.original = channel.begin.bind(channel);
    const begin = this.original;
    channel.begin = (): Transaction => {
      const tx = begin();
      const puts: FlumeEvent[] = [];
      const takes: FlumeEvent[] = [];
      const put = tx.put.bind(tx);
      const take = tx.take.bind(tx);
      const commit = tx.commit.bind(tx);
      tx.put = (events) => {
        put(events);
        puts.push(...events);
      };
      tx.take = (max) => {
        const got = take(max);
        takes.push(...got);
        return got;
      };
      tx.commit = async () => {
        await commit();
        if (puts.length) this.record("put", puts);
        if (takes.length) this.record("take", takes);
      };
      return tx;
    };
  }

  private record(side: Side, events: readonly FlumeEvent[]): void {
    this.seen[side] += events.length;
    const ring = this.rings[side];
    const now = Date.now();
    // Only the newest TAP_CAPACITY of a batch can survive, so only those are copied.
    for (const e of events.slice(-TAP_CAPACITY)) {
      ring.push({ at: now, headers: { ...e.headers }, body: e.body.subarray(0, TAP_BODY_BYTES).toString("utf8"), truncated: e.body.length > TAP_BODY_BYTES, bytes: e.body.length });
    }
    if (ring.length > TAP_CAPACITY) ring.splice(0, ring.length - TAP_CAPACITY);
  }

  /** Newest first, with how many events passed since the tap was attached. */
  read(side: Side): { events: TappedEvent[]; seen: number } {
    this.lastRead = Date.now();
    return { events: [...this.rings[side]].reverse(), seen: this.seen[side] };
  }

  idle(now = Date.now()): boolean {
    return now - this.lastRead > TAP_IDLE_MS;
  }

  detach(): void {
    if (this.hadOwnBegin) this.channel.begin = this.original;
    else delete (this.channel as Partial<Channel>).begin;
  }
}

/** The open taps of one process, one per channel; idle ones and those of replaced channels are detached. */
export class TapRegistry {
  private readonly taps = new Map<string, ChannelTap>();

  open(key: string, channel: Channel): ChannelTap {
    this.sweep();
    const cur = this.taps.get(key);
    if (cur && cur.channel === channel) return cur;
    cur?.detach();
    const tap = new ChannelTap(channel);
    this.taps.set(key, tap);
    return tap;
  }

  get(key: string, channel: Channel | undefined): ChannelTap | undefined {
    const tap = this.taps.get(key);
    return tap && tap.channel === channel ? tap : undefined;
  }

  close(key: string): boolean {
    const tap = this.taps.get(key);
    tap?.detach();
    return this.taps.delete(key);
  }

  /** Detaches taps nobody has read for TAP_IDLE_MS. */
  sweep(): void {
    for (const [k, t] of this.taps) if (t.idle()) this.close(k);
  }
}
