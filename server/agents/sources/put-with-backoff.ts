import { logger } from "../../log";
import type { BatchSink, SourceCounters } from "../component";
import type { FlumeEvent } from "../model";

const log = logger("agents.source");

/** Wait after a refused batch before offering it again. */
const RETRY_MS = 50;

/**
 * A source's back-pressure: offers the batch until the channels take it, waiting between refusals
 * (a full channel, a required channel failing), with Flume's source counters kept. Gives up when
 * `keepTrying` turns false (the source stops, the connection went, the partition moved) and then
 * returns false: the events were not put, and the caller must not move its position past them.
 */
export async function putWithBackoff(put: BatchSink, events: FlumeEvent[], counters: SourceCounters, keepTrying: () => boolean): Promise<boolean> {
  counters.EventReceivedCount += events.length;
  counters.AppendBatchReceivedCount++;
  for (let attempt = 0; ; attempt++) {
    try {
      await put(events);
      counters.EventAcceptedCount += events.length;
      counters.AppendBatchAcceptedCount++;
      return true;
    } catch (err) {
      counters.ChannelWriteFail++;
      if (!keepTrying()) return false;
      // A full channel is routine back-pressure: said once per batch, not on every retry.
      log[attempt === 0 ? "info" : "debug"]({ err, events: events.length }, "the channels refused a batch; offering it again");
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
}

/**
 * One offer of a batch, with Flume's source counters kept; the channels' refusal is rethrown for
 * the caller to answer (a 503 to its client, staying at its file position).
 */
export async function putOnce(put: BatchSink, events: FlumeEvent[], counters: SourceCounters): Promise<void> {
  counters.EventReceivedCount += events.length;
  counters.AppendBatchReceivedCount++;
  try {
    await put(events);
  } catch (err) {
    counters.ChannelWriteFail++;
    throw err;
  }
  counters.EventAcceptedCount += events.length;
  counters.AppendBatchAcceptedCount++;
}
