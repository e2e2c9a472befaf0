import { readFileSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { logger } from "../log";
import { projectRoot } from "../paths";
import { type Deployment, HEARTBEAT_PATH, type HeartbeatRequest, deployment, heartbeatResponse } from "./control-protocol";
import type { AgentHost } from "./host";

const log = logger("agents.control");

const VERSION = (JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as { version: string }).version;

/** Until the console has answered once, heartbeats go this far apart. */
const DEFAULT_INTERVAL_MS = 5000;
/** Back-off after a failed heartbeat doubles from the interval up to this. */
const MAX_BACKOFF_MS = 60_000;
/** A heartbeat that takes longer than this counts as failed. */
const REQUEST_TIMEOUT_MS = 10_000;

export class ControlError extends Error {
  constructor(message: string, readonly status: number | null) {
    super(message);
    this.name = "ControlError";
  }
}

export interface ControlClientOptions {
  /** Console base URL, e.g. http://console:3000. */
  url: string;
  token: string;
  /** Agent name, unique per console; default: the host name. */
  name?: string;
  /**
   * Where the last deployments the console sent are kept, so a restarted agent runs its flows
   * even while the console is unreachable.
   */
  cacheFile?: string;
}

/**
 * The agent side of the control protocol: heartbeats status and metrics, and reconciles the
 * agent's flows with the deployments each answer lists. Errors never stop the loop: it backs off
 * (doubling up to a minute) and tries again, logging what to do.
 */
export class ControlClient {
  readonly name: string;
  private readonly endpoint: URL;
  private intervalMs = DEFAULT_INTERVAL_MS;
  private failures = 0;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private current: Promise<void> | null = null;
  /** The agent id the console gave, once registered. */
  agentId: number | null = null;
  lastError: string | null = null;

  constructor(private readonly host: AgentHost, private readonly opts: ControlClientOptions) {
    this.name = opts.name ?? hostname();
    try {
      this.endpoint = new URL(HEARTBEAT_PATH, opts.url);
    } catch {
      throw new ControlError(`--control ${opts.url} is not a URL; give the console's address, e.g. http://console:3000`, null);
    }
  }

  /** Runs the cached deployments (if any) at once, then heartbeats. */
  async start(): Promise<void> {
    this.running = true;
    const cached = await this.readCache();
    if (cached) {
      log.info({ flows: cached.length, cache: this.opts.cacheFile }, "running the deployments last received from the console until it answers");
      await this.host.reconcile(cached);
    }
    this.schedule(0);
  }

  private async readCache(): Promise<Deployment[] | null> {
    if (!this.opts.cacheFile) return null;
    let text: string;
    try {
      text = await readFile(this.opts.cacheFile, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw e;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined; // a torn or edited file: reported below like any unreadable cache
    }
    const parsed = deployment.array().safeParse(json);
    if (!parsed.success) {
      log.warn({ cache: this.opts.cacheFile }, "the cached deployments are not readable; waiting for the console instead");
      return null;
    }
    return parsed.data;
  }

  private lastCached = "";
  private async writeCache(deployments: Deployment[]): Promise<void> {
    if (!this.opts.cacheFile) return;
    const text = JSON.stringify(deployments);
    if (text === this.lastCached) return;
    await mkdir(dirname(this.opts.cacheFile), { recursive: true });
    await writeFile(`${this.opts.cacheFile}.tmp`, text);
    await rename(`${this.opts.cacheFile}.tmp`, this.opts.cacheFile);
    this.lastCached = text;
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.current;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.current = this.beat().then((ok) => {
        this.failures = ok ? 0 : this.failures + 1;
        this.schedule(ok ? this.intervalMs : Math.min(MAX_BACKOFF_MS, this.intervalMs * 2 ** this.failures));
      });
    }, ms);
  }

  /** One heartbeat and the reconcile it asks for; returns whether it succeeded (and logs why not). */
  async beat(): Promise<boolean> {
    const body: HeartbeatRequest = { name: this.name, host: hostname(), version: VERSION, flows: this.host.status(), metrics: this.host.metrics() };
    try {
      const res = await fetch(this.endpoint, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${this.opts.token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await res.text();
      if (res.status === 401) {
        throw new ControlError(`the console at ${this.opts.url} refused the token (401${errorText(text)}); create a registration token on the console's Agents page and pass it with --token`, 401);
      }
      if (!res.ok) throw new ControlError(`heartbeat to ${this.endpoint.href} failed with HTTP ${res.status}${errorText(text)}`, res.status);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new ControlError(`the console at ${this.opts.url} answered with something other than JSON; is --control the console's address?`, res.status);
      }
      const parsed = heartbeatResponse.safeParse(json);
      if (!parsed.success) throw new ControlError(`the console's heartbeat answer does not match this agent's protocol (${parsed.error.issues[0]?.message}); run the same Tributary version on both`, res.status);
      if (this.agentId === null) log.info({ agentId: parsed.data.agentId, name: this.name, console: this.opts.url }, "registered with the console");
      this.agentId = parsed.data.agentId;
      this.intervalMs = parsed.data.heartbeatIntervalMs;
      await this.host.reconcile(parsed.data.deployments);
      await this.writeCache(parsed.data.deployments);
      if (this.lastError) log.info({ console: this.opts.url }, "heartbeats succeed again");
      this.lastError = null;
      return true;
    } catch (e) {
      const cause = (e as Error & { cause?: { code?: string } }).cause?.code;
      const message = e instanceof ControlError ? e.message : `cannot reach the console at ${this.opts.url} (${cause ?? (e as Error).message}); check --control and that the console runs`;
      if (message !== this.lastError) log.error({ console: this.opts.url, status: e instanceof ControlError ? e.status : null }, message);
      this.lastError = message;
      return false;
    }
  }
}

function errorText(text: string): string {
  try {
    const e = (JSON.parse(text) as { error?: unknown }).error;
    return typeof e === "string" ? `: ${e}` : "";
  } catch {
    return text ? `: ${text.slice(0, 200)}` : "";
  }
}
