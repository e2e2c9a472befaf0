import { join } from "node:path";
import { logger } from "../log";
import { metrics } from "../metrics/registry";
import type { BatchSink, CreateContext, Interceptor, Sink, Source } from "./component";
import { type FlowConfig, exactlyOnceSources, parseFlow } from "./flow";
import type { LocalKafka } from "./kafka-security";
import type { Channel, FlumeEvent } from "./model";
import { channelTypes, interceptorTypes, lookup, sinkTypes, sourceTypes } from "./registry";
import { type SinkProcessor, createProcessor } from "./processors/processors";
import { createSelector } from "./selectors/selectors";
import { topicSourceSchema } from "./sources/topic";

const log = logger("agents.runtime");

export type ComponentState = "running" | "backing_off" | "failed" | "stopped";

/** One error a component had, and how often it repeated back to back. */
export interface PastError {
  message: string;
  firstAt: number;
  lastAt: number;
  count: number;
}

export interface ComponentStatus {
  kind: "source" | "channel" | "sink";
  state: ComponentState;
  /** The error the component has now; null once it is healthy again. */
  lastError: string | null;
  /** Its errors since the flow started, oldest first, kept after it recovers: what the console's error history shows. */
  errors: PastError[];
}

/** Errors kept per component; a flapping sink repeats one entry rather than filling this. */
export const ERROR_HISTORY = 10;

function remember(errors: PastError[], message: string, at = Date.now()): void {
  const last = errors.at(-1);
  if (last?.message === message) {
    last.lastAt = at;
    last.count++;
    return;
  }
  errors.push({ message, firstAt: at, lastAt: at, count: 1 });
  if (errors.length > ERROR_HISTORY) errors.splice(0, errors.length - ERROR_HISTORY);
}

/** Sink back-off after a failed delivery doubles up to this, as Flume's SinkRunner does. */
const MAX_SINK_BACKOFF_MS = 5000;
/** An idle sink polls its channel at most this far apart. */
const MAX_IDLE_POLL_MS = 50;
/** How long stop() lets sinks drain their channels after the sources stopped. */
const DRAIN_TIMEOUT_MS = 5000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FlowRuntimeOptions {
  /** Agent name, for metric labels. */
  agent: string;
  /** Base directory for state; a component without its own dataDir keeps its files in <dataDir>/<flow>/<component>. */
  dataDir: string;
  /** The embedded broker, for a flow in the console's own agent. */
  localKafka?: LocalKafka;
}

/** Runs one flow: channels first, then sinks, then sources; stops in the reverse order. */
export class FlowRuntime {
  readonly config: FlowConfig;
  private readonly channels = new Map<string, Channel>();
  private readonly sources = new Map<string, Source>();
  private readonly sinks = new Map<string, { sink: Sink; channel: Channel }>();
  /** One runner per sink group; a sink outside any group is a group of one with the default processor. */
  private readonly runners: Promise<void>[] = [];
  private readonly status = new Map<string, ComponentStatus>();
  private running = false;
  /** Cuts sink runners' back-off and idle waits short when the flow stops. */
  private readonly stopping = new AbortController();

  constructor(flow: unknown, private readonly opts: FlowRuntimeOptions) {
    this.config = parseFlow(flow);
  }

  /** Starts the flow; if a component fails to start, what already started is stopped (without draining) before the error is thrown. */
  async start(): Promise<void> {
    try {
      await this.startComponents();
    } catch (e) {
      await this.shutdown(0).catch((err: unknown) => log.warn({ err, flow: this.config.name }, "stopping a flow that failed to start"));
      throw e;
    }
    this.registerMetrics();
    log.info({ flow: this.config.name, sources: this.sources.size, channels: this.channels.size, sinks: this.sinks.size }, "flow started");
  }

  private async startComponents(): Promise<void> {
    const f = this.config;
    for (const [name, c] of Object.entries(f.channels)) {
      const entry = lookup(channelTypes, c.type)!;
      const props = { dataDir: join(this.opts.dataDir, f.name, name), ...c, type: entry.types[0] };
      const ch = entry.create(props, this.context(name, noPut));
      await ch.start();
      this.channels.set(name, ch);
      this.status.set(name, { kind: "channel", state: "running", lastError: null, errors: [] });
    }
    this.running = true;
    // A transactional topic sink commits its topic source's offsets (the flow was checked to have exactly one).
    const exactlyOnce = new Map([...exactlyOnceSources(f)].map(([sink, [source]]) => [sink, source]));
    const committedBySink = new Set(exactlyOnce.values());
    for (const [name, s] of Object.entries(f.sinks)) {
      const entry = lookup(sinkTypes, s.type)!;
      const source = exactlyOnce.get(name);
      const upstream = source === undefined ? undefined : topicSourceSchema.parse({ ...f.sources[source], type: "topic" });
      const ctx = { ...this.context(name, noPut), ...(upstream ? { sourceOffsets: { groupId: upstream.groupId, topicHeader: upstream.topicHeader } } : {}) };
      const sink = entry.create({ dataDir: join(this.opts.dataDir, f.name, name), ...s, type: entry.types[0] }, ctx);
      await sink.start();
      this.sinks.set(name, { sink, channel: this.channels.get(s.channel)! });
      this.status.set(name, { kind: "sink", state: "running", lastError: null, errors: [] });
    }
    const grouped = new Set(Object.values(f.sinkgroups).flatMap((g) => g.sinks));
    for (const g of Object.values(f.sinkgroups)) this.runners.push(this.runSinkGroup(g.sinks, createProcessor(g.processor, g.sinks)));
    for (const name of this.sinks.keys()) if (!grouped.has(name)) this.runners.push(this.runSinkGroup([name], createProcessor({ type: "default" }, [name])));
    for (const [name, s] of Object.entries(f.sources)) {
      const entry = lookup(sourceTypes, s.type)!;
      const { interceptors, selector, ...props } = s;
      const chain: Interceptor[] = interceptors.map((ic) => {
        const e = lookup(interceptorTypes, ic.type)!;
        return e.create({ ...ic, type: e.types[0] }, this.context(name, noPut));
      });
      const put = this.channelProcessor(name, chain, createSelector(selector, s.channels));
      const src = entry.create({ dataDir: join(this.opts.dataDir, f.name, name), ...props, type: entry.types[0] }, { ...this.context(name, put), offsetsCommittedBySink: committedBySink.has(name) });
      try {
        await src.start();
      } catch (e) {
        const err = new ComponentStartError(`source ${name}`, e);
        this.status.set(name, { kind: "source", state: "failed", lastError: err.message, errors: [{ message: err.message, firstAt: Date.now(), lastAt: Date.now(), count: 1 }] });
        throw err;
      }
      this.sources.set(name, src);
      this.status.set(name, { kind: "source", state: "running", lastError: null, errors: [] });
    }
  }

  private context(name: string, put: BatchSink): CreateContext {
    return { name, put, ...(this.opts.localKafka ? { localKafka: this.opts.localKafka } : {}) };
  }

  /** Sources stop first so nothing new arrives, sinks drain what they can, then channels close (a file channel keeps the rest). */
  stop(): Promise<void> {
    return this.shutdown(DRAIN_TIMEOUT_MS);
  }

  private async shutdown(drainMs: number): Promise<void> {
    for (const [name, s] of this.sources) {
      await s.stop();
      this.setState(name, "stopped");
    }
    const deadline = Date.now() + drainMs;
    while (Date.now() < deadline && [...this.sinks].some(([n, r]) => r.channel.size() > 0 && this.status.get(n)?.state === "running")) await sleep(10);
    this.running = false;
    this.stopping.abort();
    await Promise.all(this.runners.splice(0));
    for (const [name, r] of this.sinks) {
      await r.sink.stop();
      this.setState(name, "stopped");
    }
    for (const [name, c] of this.channels) {
      await c.stop();
      this.setState(name, "stopped");
    }
    this.unregisterMetrics();
    log.info({ flow: this.config.name }, "flow stopped");
  }

  channel(name: string): Channel | undefined {
    return this.channels.get(name);
  }

  source(name: string): Source | undefined {
    return this.sources.get(name);
  }

  /**
   * Each component's state; a source reporting a problem shows as backing off with it. A source's
   * problem joins its history when it is seen here (sources keep only their current one).
   */
  components(): Record<string, ComponentStatus> {
    const out: Record<string, ComponentStatus> = {};
    for (const [name, s] of this.status) {
      const problem = s.kind === "source" && s.state === "running" ? this.sources.get(name)?.lastError : null;
      if (problem && s.errors.at(-1)?.message !== problem) remember(s.errors, problem);
      const errors = s.errors.map((e) => ({ ...e }));
      out[name] = problem ? { kind: "source", state: "backing_off", lastError: problem, errors } : { ...s, errors };
    }
    return out;
  }

  /** Flume's monitoring JSON: {"CHANNEL.c1": {...}, "SOURCE.r1": {...}, "SINK.k1": {...}}. */
  flumeMetrics(): Record<string, Record<string, number | string>> {
    const out: Record<string, Record<string, number | string>> = {};
    for (const [n, c] of this.channels) out[`CHANNEL.${n}`] = { ...c.stats() };
    for (const [n, s] of this.sources) out[`SOURCE.${n}`] = { ...s.counters };
    for (const [n, r] of this.sinks) out[`SINK.${n}`] = { ...r.sink.counters };
    return out;
  }

  private setState(name: string, state: ComponentState, err?: unknown): void {
    const s = this.status.get(name);
    if (!s) return;
    s.state = state;
    if (err !== undefined) {
      s.lastError = err instanceof Error ? err.message : JSON.stringify(err);
      remember(s.errors, s.lastError);
    } else if (state === "running") {
      // Healthy again: the error is history now, not the component's state.
      s.lastError = null;
    }
  }

  /**
   * Flume's ChannelProcessor: interceptors, then the selector, then one transaction per channel.
   * A required channel's failure rolls back and rejects so the source keeps the events; an
   * optional channel's failure is logged only.
   */
  private channelProcessor(source: string, chain: Interceptor[], selector: ReturnType<typeof createSelector>): BatchSink {
    return async (input: FlumeEvent[]) => {
      let events = input;
      for (const ic of chain) events = await ic.intercept(events);
      const required = new Map<string, FlumeEvent[]>();
      const optional = new Map<string, FlumeEvent[]>();
      for (const e of events) {
        const sel = selector.select(e);
        for (const c of sel.required) (required.get(c) ?? required.set(c, []).get(c)!).push(e);
        for (const c of sel.optional) (optional.get(c) ?? optional.set(c, []).get(c)!).push(e);
      }
      for (const [c, batch] of required) await putInto(this.channels.get(c)!, batch);
      for (const [c, batch] of optional) {
        await putInto(this.channels.get(c)!, batch).catch((e) => log.warn({ source, channel: c, err: e }, "optional channel refused a batch"));
      }
    };
  }

  /**
   * Flume's SinkRunner: asks the processor which sinks to try, gives the next batch to the first that
   * delivers it; when all fail it backs off (doubling up to MAX_SINK_BACKOFF_MS) while the flow runs on.
   */
  private async runSinkGroup(names: readonly string[], processor: SinkProcessor): Promise<void> {
    let backoff = 0;
    let idle = 0;
    while (this.running) {
      let outcome: "delivered" | "empty" | "failed" = "failed";
      for (const name of processor.candidates(Date.now())) {
        try {
          outcome = (await this.drainOnce(name)) ? "delivered" : "empty";
          processor.succeeded(name);
          break;
        } catch {
          processor.failed(name, Date.now());
        }
      }
      if (outcome === "failed") {
        backoff = Math.min(MAX_SINK_BACKOFF_MS, backoff === 0 ? 100 : backoff * 2);
        // Each failure was logged with its error by drainOnce; a group says when none of its sinks could take the batch.
        if (names.length > 1) log.warn({ sinks: names, backoffMs: backoff }, "every sink of the group failed; backing off");
        await this.pause(backoff);
      } else if (outcome === "empty") {
        backoff = 0;
        idle = Math.min(MAX_IDLE_POLL_MS, idle + 1);
        await this.pause(idle);
      } else {
        backoff = 0;
        idle = 0;
      }
    }
  }

  private pause(ms: number): Promise<void> {
    if (this.stopping.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.stopping.signal.removeEventListener("abort", done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.stopping.signal.addEventListener("abort", done);
    });
  }

  /** One take transaction: returns whether events were delivered; throws (after rolling back) when the sink failed. */
  private async drainOnce(name: string): Promise<boolean> {
    const { sink, channel } = this.sinks.get(name)!;
    const tx = channel.begin();
    try {
      const events = tx.take(sink.batchSize);
      if (events.length === 0) {
        await tx.commit();
        sink.counters.BatchEmptyCount++;
        return false;
      }
      sink.counters.EventDrainAttemptCount += events.length;
      await sink.deliver(events);
      await tx.commit();
      sink.counters.EventDrainSuccessCount += events.length;
      sink.counters.BatchCompleteCount++;
      if (this.status.get(name)?.state === "backing_off") this.setState(name, "running");
      return true;
    } catch (e) {
      tx.rollback();
      sink.counters.ConnectionFailedCount++;
      this.setState(name, "backing_off", e);
      log.warn({ sink: name, err: e }, "sink failed to deliver a batch; it stays in the channel and is retried after a back-off");
      throw e;
    }
  }

  private metricNames: string[] = [];

  /**
   * Reports every Flume counter to the shared registry as agent_<FlumeName>{agent,flow,component,kind}:
   * the *Count fields as counters (so the console charts them as per-second rates), sizes and
   * percentages as gauges.
   */
  private registerMetrics(): void {
    const names = new Set<string>();
    for (const [key, values] of Object.entries(this.flumeMetrics())) {
      const dot = key.indexOf(".");
      const kind = key.slice(0, dot).toLowerCase();
      const component = key.slice(dot + 1);
      for (const field of Object.keys(values)) {
        const name = `agent_${field}`;
        names.add(name);
        const labels = { agent: this.opts.agent, flow: this.config.name, component, kind };
        const read = () => Number(this.flumeMetrics()[key]?.[field] ?? 0);
        if (isFlumeCounter(field)) metrics.counter(name, `Flume ${field} of an agent component`, labels, read);
        else metrics.gauge(name, `Flume ${field} of an agent component`, labels, read);
      }
    }
    this.metricNames = [...names];
  }

  private unregisterMetrics(): void {
    for (const n of this.metricNames) metrics.remove(n, { agent: this.opts.agent, flow: this.config.name });
  }
}

/** Flume's monotonic counters end in Count (EventPutSuccessCount, …) or are failure tallies (ChannelWriteFail). */
function isFlumeCounter(field: string): boolean {
  return field.endsWith("Count") || field === "ChannelWriteFail";
}

/** A component could not start; the message names it and, for the usual causes, what to do. */
export class ComponentStartError extends Error {
  constructor(component: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException).code;
    const hint = code === "EADDRINUSE" ? "; another process listens on that port: pick another port or stop it"
      : code === "EACCES" ? "; this user may not bind that port or read that path"
      : "";
    super(`${component} failed to start: ${cause instanceof Error ? cause.message : String(cause)}${hint}`, { cause });
    this.name = "ComponentStartError";
  }
}

const noPut: BatchSink = () => Promise.reject(new Error("channels and sinks do not put events"));

async function putInto(channel: Channel, batch: FlumeEvent[]): Promise<void> {
  for (let i = 0; i < batch.length; i += channel.transactionCapacity) {
    const tx = channel.begin();
    try {
      tx.put(batch.slice(i, i + channel.transactionCapacity));
      await tx.commit();
    } catch (e) {
      tx.rollback();
      throw e;
    }
  }
}
