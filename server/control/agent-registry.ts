import { createHash, randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { and, desc, eq, isNull, lt, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { agents, agentTokens, deployments, flowVersions } from "@/db/schema";
import type { Deployment, HeartbeatRequest, HeartbeatResponse } from "../agents/control-protocol";
import type { AgentHost, FlowStatus } from "../agents/host";
import { TapRegistry } from "../agents/tap";
import { logger } from "../log";

const log = logger("control.agents");

/** How often agents are asked to heartbeat. */
export const HEARTBEAT_INTERVAL_MS = 5000;
/** An agent silent this long is offline (three missed heartbeats; well inside the 30 s promise). */
export const OFFLINE_AFTER_MS = 15_000;
export const EMBEDDED_AGENT = "embedded";

/** The heartbeat was refused; the message tells the agent's operator what to do. */
export class AgentAuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AgentAuthError";
  }
}

/** The token is valid but belongs to another agent, or the name is taken. */
export class AgentConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AgentConflictError";
  }
}

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export async function createToken(db: Db, label: string, createdBy: string): Promise<{ id: number; token: string; prefix: string }> {
  const token = `trb_${randomBytes(24).toString("base64url")}`;
  const prefix = token.slice(0, 10);
  const [row] = await db.insert(agentTokens).values({ tokenHash: hashToken(token), prefix, label, createdBy }).returning({ id: agentTokens.id });
  return { id: row.id, token, prefix };
}

export async function listTokens(db: Db) {
  return db
    .select({ id: agentTokens.id, prefix: agentTokens.prefix, label: agentTokens.label, createdBy: agentTokens.createdBy, createdAt: agentTokens.createdAt, revokedAt: agentTokens.revokedAt, agent: agents.name })
    .from(agentTokens)
    .leftJoin(agents, eq(agents.id, agentTokens.agentId))
    .orderBy(desc(agentTokens.createdAt));
}

/** Revoking a token cuts its agent off at the next heartbeat; the agent row stays, marked revoked. */
export async function revokeToken(db: Db, id: number): Promise<{ prefix: string; agentId: number | null } | undefined> {
  const [row] = await db.update(agentTokens).set({ revokedAt: new Date() }).where(and(eq(agentTokens.id, id), isNull(agentTokens.revokedAt))).returning();
  if (!row) return undefined;
  if (row.agentId !== null) await db.update(agents).set({ state: "revoked" }).where(eq(agents.id, row.agentId));
  return { prefix: row.prefix, agentId: row.agentId };
}

/** The flows an agent should run: every deployment of it whose desired state is running. */
export async function desiredDeployments(db: Db, agentId: number): Promise<Deployment[]> {
  const rows = await db
    .select({ flowId: deployments.flowId, version: deployments.version, definition: flowVersions.definition })
    .from(deployments)
    .innerJoin(flowVersions, and(eq(flowVersions.flowId, deployments.flowId), eq(flowVersions.version, deployments.version)))
    .where(and(eq(deployments.agentId, agentId), eq(deployments.desired, "running")));
  return rows.map((r) => ({ id: String(r.flowId), version: r.version, definition: r.definition }));
}

async function recordHeartbeat(db: Db, agentId: number, req: HeartbeatRequest): Promise<void> {
  await db
    .update(agents)
    .set({ host: req.host, version: req.version, state: "online", lastHeartbeatAt: new Date(), status: { flows: req.flows, metrics: req.metrics } })
    .where(eq(agents.id, agentId));
}

/**
 * A standalone agent's heartbeat. The first one with a token registers the agent under its name
 * and binds the token to it; later ones refresh its status. Answers the complete desired set.
 */
export async function heartbeat(db: Db, token: string, req: HeartbeatRequest): Promise<HeartbeatResponse> {
  const [tok] = await db.select().from(agentTokens).where(eq(agentTokens.tokenHash, hashToken(token)));
  if (!tok) throw new AgentAuthError("unknown registration token; create one on the console's Agents page and pass it with --token");
  if (tok.revokedAt) throw new AgentAuthError("this registration token was revoked; create a new one on the Agents page and restart the agent with it");
  let agentId = tok.agentId;
  if (agentId === null) {
    const [existing] = await db.select().from(agents).where(eq(agents.name, req.name));
    if (existing && (existing.embedded || existing.tokenHash)) {
      throw new AgentConflictError(`an agent named "${req.name}" is already registered; start this one with another --name`);
    }
    const row = existing ?? (await db.insert(agents).values({ name: req.name, tokenHash: tok.tokenHash }).returning())[0];
    if (existing) await db.update(agents).set({ tokenHash: tok.tokenHash }).where(eq(agents.id, existing.id));
    await db.update(agentTokens).set({ agentId: row.id }).where(eq(agentTokens.id, tok.id));
    agentId = row.id;
    log.info({ agent: req.name, host: req.host }, "agent registered");
  } else {
    const [bound] = await db.select({ name: agents.name }).from(agents).where(eq(agents.id, agentId));
    if (bound && bound.name !== req.name) {
      throw new AgentConflictError(`this token is bound to agent "${bound.name}"; start the agent with --name ${bound.name} or create a new token`);
    }
  }
  await recordHeartbeat(db, agentId, req);
  return { agentId, heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS, deployments: await desiredDeployments(db, agentId) };
}

/** Marks agents offline whose last heartbeat is older than OFFLINE_AFTER_MS; returns their names. */
export async function markOffline(db: Db, now = Date.now()): Promise<string[]> {
  const rows = await db
    .update(agents)
    .set({ state: "offline" })
    .where(and(eq(agents.state, "online"), eq(agents.embedded, false), lt(agents.lastHeartbeatAt, new Date(now - OFFLINE_AFTER_MS))))
    .returning({ name: agents.name });
  for (const r of rows) log.warn({ agent: r.name }, "agent missed its heartbeats; marked offline");
  return rows.map((r) => r.name);
}

export interface AgentReport {
  flows: FlowStatus[];
  metrics: Record<string, Record<string, Record<string, number | string>>>;
}

export function reportOf(status: Record<string, unknown>): AgentReport {
  return { flows: (status.flows ?? []) as FlowStatus[], metrics: (status.metrics ?? {}) as AgentReport["metrics"] };
}

export async function listAgents(db: Db) {
  const rows = await db.select().from(agents).orderBy(desc(agents.embedded), agents.name);
  const counts = await db
    .select({ agentId: deployments.agentId, n: sql<number>`count(*)::int` })
    .from(deployments)
    .where(eq(deployments.desired, "running"))
    .groupBy(deployments.agentId);
  const now = Date.now();
  return rows.map((a) => {
    const report = reportOf(a.status);
    // The sweep runs every few seconds; reading the age here too means the list is never staler than the rule.
    const stale = !a.embedded && a.state === "online" && (!a.lastHeartbeatAt || now - a.lastHeartbeatAt.getTime() > OFFLINE_AFTER_MS);
    return {
      id: a.id,
      name: a.name,
      host: a.host,
      version: a.version,
      embedded: a.embedded,
      state: stale ? ("offline" as const) : a.state,
      lastHeartbeatAt: a.lastHeartbeatAt,
      deployed: counts.find((c) => c.agentId === a.id)?.n ?? 0,
      flows: report.flows.map((f) => ({ id: f.id, name: f.name, version: f.version, state: f.state, error: f.error })),
      metrics: report.metrics,
    };
  });
}

/**
 * The agent inside `tributary start`: registered like any other, heartbeating in-process on the same
 * path as a standalone agent, and synced at once when a deployment to it changes.
 */
export class EmbeddedAgent {
  private timer: NodeJS.Timeout | null = null;
  private id: number | null = null;
  private syncing: Promise<void> = Promise.resolve();
  /** Debugging taps on this agent's channels, opened from the flow designer. */
  readonly taps = new TapRegistry();

  constructor(private readonly db: Db, readonly host: AgentHost, private readonly version: string) {}

  async start(): Promise<void> {
    const [row] = await this.db
      .insert(agents)
      .values({ name: EMBEDDED_AGENT, embedded: true, state: "online", host: hostname(), version: this.version })
      .onConflictDoUpdate({ target: agents.name, set: { embedded: true, state: "online", host: hostname(), version: this.version } })
      .returning({ id: agents.id });
    this.id = row.id;
    await this.sync();
    this.timer = setInterval(() => {
      this.sync().catch((err) => log.error({ err }, "embedded agent sync failed"));
      markOffline(this.db).catch((err) => log.error({ err }, "offline sweep failed"));
      this.taps.sweep();
    }, HEARTBEAT_INTERVAL_MS);
  }

  get agentId(): number {
    if (this.id === null) throw new Error("embedded agent not started");
    return this.id;
  }

  /** One in-process heartbeat: reconcile to the desired set, then record status and metrics. Calls queue, never overlap. */
  sync(): Promise<void> {
    const run = async () => {
      await this.host.reconcile(await desiredDeployments(this.db, this.agentId));
      await recordHeartbeat(this.db, this.agentId, { name: EMBEDDED_AGENT, host: hostname(), version: this.version, flows: this.host.status(), metrics: this.host.metrics() });
    };
    this.syncing = this.syncing.then(run, run);
    return this.syncing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.syncing.catch(() => undefined);
  }
}

/** Agent name by id, for audit targets and messages. */
export async function agentNames(db: Db): Promise<Map<number, string>> {
  const rows = await db.select({ id: agents.id, name: agents.name }).from(agents);
  return new Map(rows.map((r) => [r.id, r.name]));
}
