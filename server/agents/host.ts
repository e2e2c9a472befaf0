import { logger } from "../log";
import type { Deployment } from "./control-protocol";
import { FlowRuntime, type ComponentStatus, type FlowRuntimeOptions } from "./runtime";

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
  definition: unknown;
  runtime: FlowRuntime | null;
  error: string | null;
  name: string;
  /** A version whose definition did not validate; not tried again until another version comes. */
  rejected?: number;
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

  constructor(private readonly opts: FlowRuntimeOptions) {}

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
      const entry: Deployed = { id, version, definition: flow, runtime, error: null, name: runtime.config.name };
      this.flows.set(id, entry);
      try {
        await runtime.start();
        log.info({ agent: this.opts.agent, flow: entry.name, version }, "flow deployed");
      } catch (err) {
        // The runtime stopped whatever of it had started.
        entry.error = (err as Error).message;
        entry.runtime = null;
        log.error({ err, flow: entry.name }, "flow failed to start");
      }
      return this.statusOf(entry);
    });
  }

  /** Stops and starts a deployed flow on the same version (file channels keep their events). */
  async restart(id: string): Promise<FlowStatus> {
    const d = this.flows.get(id);
    if (!d) throw new Error(`no flow "${id}" is deployed on agent ${this.opts.agent}; deploy it first`);
    return this.deploy(id, d.version, d.definition);
  }

  stop(id: string): Promise<void> {
    return this.serial(id, async () => {
      await this.stopRuntime(id);
      this.flows.delete(id);
    });
  }

  /**
   * Makes the running set equal `deployments` (the complete desired set, as the control plane sends
   * it): deploys flows that are missing or at another version, stops flows no longer listed. A flow
   * that fails to start is reported in status() and does not stop the others from being applied.
   */
  async reconcile(deployments: readonly Deployment[]): Promise<void> {
    const wanted = new Map(deployments.map((d) => [d.id, d]));
    const work: Promise<unknown>[] = [];
    for (const id of this.flows.keys()) if (!wanted.has(id)) work.push(this.stop(id));
    for (const d of wanted.values()) {
      const have = this.flows.get(d.id);
      // A flow that failed to start (a port in use, say) is tried again on every reconcile.
      if (have && (have.rejected === d.version || (have.version === d.version && have.runtime))) continue;
      work.push(this.deploy(d.id, d.version, d.definition).catch((err: unknown) => this.recordInvalid(d, err)));
    }
    await Promise.all(work);
  }

  /** A definition that does not validate: the old version keeps running and status() names the problem. */
  private recordInvalid(d: Deployment, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    log.error({ agent: this.opts.agent, flow: d.id, version: d.version, err: message }, "deployment rejected");
    const have = this.flows.get(d.id);
    if (have) {
      have.error = `version ${d.version} rejected: ${message}`;
      have.rejected = d.version;
    } else {
      this.flows.set(d.id, { id: d.id, version: d.version, definition: d.definition, runtime: null, error: message, name: d.id, rejected: d.version });
    }
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
      state: d.runtime ? "running" : d.error ? "failed" : "stopped",
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
