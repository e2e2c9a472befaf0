import { logger } from "../log";
import { FlowRuntime, type ComponentStatus } from "./runtime";

const log = logger("agents.host");

export interface FlowStatus {
  id: string;
  name: string;
  version: number;
  state: "running" | "failed" | "stopped";
  error: string | null;
  components: Record<string, ComponentStatus>;
}

interface Deployed {
  id: string;
  version: number;
  runtime: FlowRuntime | null;
  error: string | null;
  name: string;
}

/**
 * An agent: the flows deployed to it, each a FlowRuntime. Applying a new version stops the old
 * runtime first (sources stop, sinks drain, file channels keep what is left) and starts the new
 * one on the same state, so no committed event is lost across a redeploy.
 */
export class AgentHost {
  private flows = new Map<string, Deployed>();
  /** Deploys to one flow run one after another; two at once would race on its channels' files. */
  private queue = new Map<string, Promise<unknown>>();

  constructor(private readonly opts: { agent: string; dataDir: string }) {}

  get name(): string {
    return this.opts.agent;
  }

  private serial<T>(id: string, task: () => Promise<T>): Promise<T> {
    const next = (this.queue.get(id) ?? Promise.resolve()).then(task, task);
    this.queue.set(id, next.catch(() => undefined));
    return next;
  }

  deploy(id: string, version: number, flow: unknown): Promise<FlowStatus> {
    return this.serial(id, async () => {
      const runtime = new FlowRuntime(flow, this.opts); // validates before anything running is touched
      await this.stopRuntime(id);
      const entry: Deployed = { id, version, runtime, error: null, name: runtime.config.name };
      this.flows.set(id, entry);
      try {
        await runtime.start();
        log.info({ agent: this.opts.agent, flow: entry.name, version }, "flow deployed");
      } catch (err) {
        entry.error = (err as Error).message;
        entry.runtime = null;
        await runtime.stop().catch(() => undefined);
        log.error({ err, flow: entry.name }, "flow failed to start");
      }
      return this.statusOf(entry);
    });
  }

  stop(id: string): Promise<void> {
    return this.serial(id, async () => {
      await this.stopRuntime(id);
      this.flows.delete(id);
    });
  }

  private async stopRuntime(id: string): Promise<void> {
    const old = this.flows.get(id);
    if (old?.runtime) await old.runtime.stop();
  }

  private statusOf(d: Deployed): FlowStatus {
    return {
      id: d.id,
      name: d.name,
      version: d.version,
      state: d.error ? "failed" : d.runtime ? "running" : "stopped",
      error: d.error,
      components: d.runtime?.components() ?? {},
    };
  }

  /** The running runtime of a flow, for in-process inspection (taps); undefined when it is not running. */
  runtime(id: string): FlowRuntime | undefined {
    return this.flows.get(id)?.runtime ?? undefined;
  }

  status(): FlowStatus[] {
    return [...this.flows.values()].map((d) => this.statusOf(d));
  }

  metrics(): Record<string, Record<string, Record<string, number | string>>> {
    return Object.fromEntries([...this.flows.values()].filter((d) => d.runtime).map((d) => [d.name, d.runtime!.flumeMetrics()]));
  }

  healthy(): boolean {
    return [...this.flows.values()].every((d) => !d.error);
  }

  async close(): Promise<void> {
    for (const id of [...this.flows.keys()]) await this.stop(id);
  }
}
