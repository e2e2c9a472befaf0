import { and, desc, eq, inArray, max, ne } from "drizzle-orm";
import type { Db } from "@/db/client";
import { agents, deployments, flows, flowVersions } from "@/db/schema";
import { flowSchema } from "../agents/flow";
import { lookup, sinkTypes } from "../agents/registry";
import { reportOf } from "./agent-registry";
import { type ClusterConnections, splitServers } from "../admin/clusters";
import { ConfigResourceType } from "../kafka/constants";
import { redactFlow, restoreSecrets } from "./secrets";

/** One validation problem, with the path into the flow JSON (["sinks", "k1", "batchSize"]) so the designer can pin it to a node. */
export interface FlowIssue {
  path: (string | number)[];
  message: string;
  /** A warning does not stop a save or a deploy. */
  warning?: true;
}

export class FlowInvalidError extends Error {
  constructor(readonly issues: FlowIssue[]) {
    super(`the flow is invalid; fix these first: ${issues.map((i) => `${i.path.join(".") || "(flow)"}: ${i.message}`).join("; ")}`);
    this.name = "FlowInvalidError";
  }
}

export class FlowNotFoundError extends Error {
  constructor(what: string) {
    super(`${what} does not exist; reload the list`);
    this.name = "FlowNotFoundError";
  }
}

export class FlowExistsError extends Error {
  constructor(name: string) {
    super(`a flow named "${name}" exists already; choose another name`);
    this.name = "FlowExistsError";
  }
}

/** A deploy that cannot work on the agents chosen (a port another flow there already listens on). */
export class DeployConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeployConflictError";
  }
}

type Definition = { sources?: Record<string, Record<string, unknown>>; channels?: Record<string, Record<string, unknown>>; sinks?: Record<string, Record<string, unknown>> };

/** Listening ports of a flow's sources, with the source that binds each. */
function portsOf(def: unknown): { source: string; port: number }[] {
  const sources = (def as Definition | null)?.sources ?? {};
  return Object.entries(sources)
    .map(([source, s]) => ({ source, port: Number(s.port) }))
    .filter((p) => Number.isInteger(p.port) && p.port > 0);
}

/**
 * Everything wrong with a flow: the runtime's own parse (types, required properties, channels
 * defined, batch sizes within transaction capacity) plus what only a whole graph shows (two sources
 * on one port). The same check runs before save and before deploy.
 */
export function checkFlow(def: unknown): FlowIssue[] {
  const issues: FlowIssue[] = [];
  const r = flowSchema.safeParse(def);
  if (!r.success) {
    for (const i of r.error.issues) {
      // zod says "expected string, received undefined" for a property that is simply not set.
      const message = /received undefined$/.test(i.message) ? "required; set a value" : i.message;
      issues.push({ path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)), message });
    }
  }
  const seen = new Map<number, string>();
  for (const { source, port } of portsOf(def)) {
    const other = seen.get(port);
    if (other) issues.push({ path: ["sources", source, "port"], message: `port ${port} is also used by source "${other}"; give each source its own port` });
    else seen.set(port, source);
  }
  return issues;
}

/** What a cluster says about a topic sink's target; null when the console does not manage that cluster or cannot reach it now. */
export type TopicCatalog = (bootstrapServers: string) => Promise<{ cluster: string; topics: ReadonlySet<string>; autoCreate: boolean } | null>;

/**
 * Warnings from the clusters the flow's topic sinks produce to: a topic that does not exist and
 * will not be created when the sink first sends, so the sink would back off until someone creates it.
 */
export async function checkFlowTopics(def: unknown, catalog: TopicCatalog): Promise<FlowIssue[]> {
  const issues: FlowIssue[] = [];
  for (const [name, s] of Object.entries((def as Definition | null)?.sinks ?? {})) {
    if (lookup(sinkTypes, String(s.type))?.types[0] !== "topic" || typeof s.topic !== "string" || typeof s.bootstrapServers !== "string") continue;
    const info = await catalog(s.bootstrapServers);
    if (!info || info.topics.has(s.topic)) continue;
    const fix = "create the topic first, or the sink backs off until it exists";
    if (s.allowAutoTopicCreation === false) issues.push({ path: ["sinks", name, "topic"], warning: true, message: `topic "${s.topic}" does not exist on cluster ${info.cluster} and allowAutoTopicCreation is off: ${fix}` });
    else if (!info.autoCreate) issues.push({ path: ["sinks", name, "topic"], warning: true, message: `topic "${s.topic}" does not exist on cluster ${info.cluster}, which does not create topics (auto.create.topics.enable=false): ${fix}` });
  }
  return issues;
}

/** How long validation waits for a cluster's answer before it leaves the topic unchecked. */
const TOPIC_CHECK_TIMEOUT_MS = 2000;

/** A TopicCatalog over the clusters the console manages, matched to a sink by any bootstrap server they share. */
export function clusterTopicCatalog(clusters: ClusterConnections): TopicCatalog {
  return async (bootstrapServers) => {
    const wanted = splitServers(bootstrapServers);
    const cluster = (await clusters.list()).find((c) => c.bootstrapServers.some((b) => wanted.includes(b)));
    if (!cluster) return null;
    let timer: NodeJS.Timeout | undefined;
    const ask = async () => {
      const { admin } = await clusters.client(cluster.slug);
      const md = await admin.metadata();
      const [configs] = await admin.describeConfigs([{ type: ConfigResourceType.BROKER, name: String(md.brokers[0]?.nodeId ?? 0), keys: ["auto.create.topics.enable"] }]);
      const value = configs?.configs.find((e) => e.name === "auto.create.topics.enable")?.value;
      return { cluster: cluster.name, topics: new Set(md.topics.map((t) => t.name)), autoCreate: value !== "false" };
    };
    const late = new Promise<null>((r) => (timer = setTimeout(() => r(null), TOPIC_CHECK_TIMEOUT_MS)));
    try {
      // A cluster that cannot answer leaves the topic unchecked rather than holding up validation.
      return await Promise.race([ask().catch(() => null), late]);
    } finally {
      clearTimeout(timer);
    }
  };
}

export async function listFlows(db: Db) {
  const rows = await db
    .select({ id: flows.id, name: flows.name, description: flows.description, updatedAt: flows.updatedAt, latest: max(flowVersions.version) })
    .from(flows)
    .leftJoin(flowVersions, eq(flowVersions.flowId, flows.id))
    .groupBy(flows.id)
    .orderBy(flows.name);
  const deps = await db.select({ flowId: deployments.flowId, desired: deployments.desired, version: deployments.version }).from(deployments);
  return rows.map((f) => ({
    ...f,
    latest: f.latest ?? 0,
    running: deps.filter((d) => d.flowId === f.id && d.desired === "running").length,
  }));
}

export async function getFlow(db: Db, id: number) {
  const [flow] = await db.select().from(flows).where(eq(flows.id, id));
  if (!flow) throw new FlowNotFoundError(`flow ${id}`);
  const versions = await db
    .select({ version: flowVersions.version, message: flowVersions.message, author: flowVersions.author, createdAt: flowVersions.createdAt })
    .from(flowVersions)
    .where(eq(flowVersions.flowId, id))
    .orderBy(desc(flowVersions.version));
  return { ...flow, versions };
}

/** A version as readers see it: its definition with every secret replaced by the placeholder. */
export async function readVersion(db: Db, flowId: number, version?: number) {
  const v = await getVersion(db, flowId, version);
  return { ...v, definition: redactFlow(v.definition) };
}

/** A version as stored, secrets included: for agents, deploys and rollbacks, never for a reader. */
export async function getVersion(db: Db, flowId: number, version?: number) {
  const [row] = await db
    .select()
    .from(flowVersions)
    .where(version === undefined ? eq(flowVersions.flowId, flowId) : and(eq(flowVersions.flowId, flowId), eq(flowVersions.version, version)))
    .orderBy(desc(flowVersions.version))
    .limit(1);
  if (!row) throw new FlowNotFoundError(version === undefined ? `a version of flow ${flowId}` : `version ${version} of flow ${flowId}`);
  return row;
}

/** The stored definition always carries the flow's name, which names its state directories on agents. */
function named(def: unknown, name: string): Record<string, unknown> {
  return { ...(def as Record<string, unknown>), name };
}

/**
 * What is stored for a definition a user sent: named, with the secrets it shows only as the
 * placeholder taken from `base` (the version it was edited from), and valid.
 */
function toStore(def: unknown, name: string, base: unknown): Record<string, unknown> {
  const issues: FlowIssue[] = [];
  const definition = named(restoreSecrets(def, base, issues), name);
  issues.push(...checkFlow(definition));
  if (issues.length) throw new FlowInvalidError(issues);
  return definition;
}

export async function createFlow(db: Db, input: { name: string; description: string; definition: unknown; message: string; author: string }) {
  const definition = toStore(input.definition, input.name, undefined);
  return db.transaction(async (tx) => {
    const [flow] = await tx.insert(flows).values({ name: input.name, description: input.description }).onConflictDoNothing().returning();
    if (!flow) throw new FlowExistsError(input.name);
    await tx.insert(flowVersions).values({ flowId: flow.id, version: 1, definition, message: input.message, author: input.author });
    return { id: flow.id, version: 1 };
  });
}

/**
 * Saves a new version; versions are never edited, so any one can be deployed or rolled back to.
 * Secrets left as the placeholder keep their value in `baseVersion` (default: the latest).
 */
export async function saveVersion(db: Db, input: { flowId: number; definition: unknown; message: string; author: string; baseVersion?: number }) {
  const [flow] = await db.select().from(flows).where(eq(flows.id, input.flowId));
  if (!flow) throw new FlowNotFoundError(`flow ${input.flowId}`);
  const base = await getVersion(db, flow.id, input.baseVersion);
  const definition = toStore(input.definition, flow.name, base.definition);
  return db.transaction(async (tx) => {
    const [cur] = await tx.select({ v: max(flowVersions.version) }).from(flowVersions).where(eq(flowVersions.flowId, flow.id));
    const version = (cur?.v ?? 0) + 1;
    await tx.insert(flowVersions).values({ flowId: flow.id, version, definition, message: input.message, author: input.author });
    await tx.update(flows).set({ updatedAt: new Date() }).where(eq(flows.id, flow.id));
    return { id: flow.id, version };
  });
}

/** Rolling back saves the old definition as the newest version, so history only grows. */
export async function rollbackTo(db: Db, flowId: number, version: number, author: string) {
  const old = await getVersion(db, flowId, version);
  return saveVersion(db, { flowId, definition: old.definition, message: `Roll back to version ${version}`, author });
}

export interface ComponentDiff {
  kind: "sources" | "channels" | "sinks";
  name: string;
  change: "added" | "removed" | "changed";
  properties: { key: string; before: unknown; after: unknown }[];
}

/**
 * Components added, removed or changed between two definitions, with each changed property.
 * Compared as stored, so a changed secret shows up as changed; shown redacted, so not its value.
 */
export function diffFlows(a: unknown, b: unknown): ComponentDiff[] {
  const out: ComponentDiff[] = [];
  const [shownA, shownB] = [redactFlow(a) as Definition, redactFlow(b) as Definition];
  for (const kind of ["sources", "channels", "sinks"] as const) {
    const before = (a as Definition)[kind] ?? {};
    const after = (b as Definition)[kind] ?? {};
    for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const x = shownA[kind]?.[name];
      const y = shownB[kind]?.[name];
      if (!x) out.push({ kind, name, change: "added", properties: Object.entries(y!).map(([key, v]) => ({ key, before: undefined, after: v })) });
      else if (!y) out.push({ kind, name, change: "removed", properties: Object.entries(x).map(([key, v]) => ({ key, before: v, after: undefined })) });
      else {
        const properties = [...new Set([...Object.keys(x), ...Object.keys(y)])]
          .filter((key) => JSON.stringify(before[name][key]) !== JSON.stringify(after[name][key]))
          .map((key) => ({ key, before: x[key], after: y[key] }));
        if (properties.length) out.push({ kind, name, change: "changed", properties });
      }
    }
  }
  return out;
}

/**
 * Points the chosen agents at one version of a flow. Refuses a version that does not validate and
 * a source port that another flow running on the same agent already listens on.
 */
export async function deploy(db: Db, input: { flowId: number; version: number; agentIds: number[]; actor: string }) {
  const v = await getVersion(db, input.flowId, input.version);
  const issues = checkFlow(v.definition);
  if (issues.length) throw new FlowInvalidError(issues);
  const targets = await db.select().from(agents).where(inArray(agents.id, input.agentIds));
  if (targets.length !== input.agentIds.length) throw new FlowNotFoundError("one of the chosen agents");
  const revoked = targets.find((t) => t.state === "revoked");
  if (revoked) throw new DeployConflictError(`agent "${revoked.name}" was revoked; choose another agent`);
  const ports = portsOf(v.definition);
  for (const agent of targets) {
    const others = await db
      .select({ flow: flows.name, definition: flowVersions.definition })
      .from(deployments)
      .innerJoin(flows, eq(flows.id, deployments.flowId))
      .innerJoin(flowVersions, and(eq(flowVersions.flowId, deployments.flowId), eq(flowVersions.version, deployments.version)))
      .where(and(eq(deployments.agentId, agent.id), eq(deployments.desired, "running"), ne(deployments.flowId, input.flowId)));
    for (const o of others) {
      for (const p of portsOf(o.definition)) {
        const clash = ports.find((q) => q.port === p.port);
        if (clash) throw new DeployConflictError(`source "${clash.source}" wants port ${p.port}, which flow "${o.flow}" already uses on agent "${agent.name}"; change the port or stop that flow`);
      }
    }
  }
  for (const agentId of input.agentIds) {
    await db
      .insert(deployments)
      .values({ flowId: input.flowId, agentId, version: input.version, desired: "running", deployedBy: input.actor })
      .onConflictDoUpdate({ target: [deployments.flowId, deployments.agentId], set: { version: input.version, desired: "running", deployedBy: input.actor, updatedAt: new Date() } });
  }
  return { targets: targets.map((t) => t.name) };
}

/** Stops or starts a flow's existing deployments (all of them, or on the agents given). */
export async function setDesired(db: Db, input: { flowId: number; agentIds?: number[]; desired: "running" | "stopped"; actor: string }) {
  const where = input.agentIds ? and(eq(deployments.flowId, input.flowId), inArray(deployments.agentId, input.agentIds)) : eq(deployments.flowId, input.flowId);
  const rows = await db.update(deployments).set({ desired: input.desired, deployedBy: input.actor, updatedAt: new Date() }).where(where).returning({ agentId: deployments.agentId });
  if (rows.length === 0) throw new FlowNotFoundError("a deployment of this flow on those agents");
  return rows.map((r) => r.agentId);
}

export type RolloutState = "pending" | "running" | "failed" | "stopped" | "offline";

/** Per agent: the version that should run, and what the agent last reported about it. */
export async function rollout(db: Db, flowId: number) {
  const rows = await db
    .select({ agentId: agents.id, agent: agents.name, embedded: agents.embedded, agentState: agents.state, lastHeartbeatAt: agents.lastHeartbeatAt, status: agents.status, version: deployments.version, desired: deployments.desired, deployedBy: deployments.deployedBy, updatedAt: deployments.updatedAt })
    .from(deployments)
    .innerJoin(agents, eq(agents.id, deployments.agentId))
    .where(eq(deployments.flowId, flowId))
    .orderBy(agents.name);
  return rows.map((r) => {
    const reported = reportOf(r.status).flows.find((f) => f.id === String(flowId));
    let state: RolloutState;
    let error: string | null = null;
    if (r.desired === "stopped") state = reported ? "pending" : "stopped";
    else if (r.agentState !== "online") state = "offline";
    else if (!reported || reported.version !== r.version) state = "pending";
    else if (reported.state === "failed") {
      state = "failed";
      error = reported.error;
    } else state = reported.state === "running" ? "running" : "pending";
    const failing = reported ? Object.entries(reported.components ?? {}).filter(([, c]) => c.lastError) : [];
    if (!error && failing.length) error = failing.map(([n, c]) => `${n}: ${c.lastError}`).join("; ");
    return { agentId: r.agentId, agent: r.agent, embedded: r.embedded, version: r.version, desired: r.desired, deployedBy: r.deployedBy, updatedAt: r.updatedAt, state, error, components: reported?.components ?? {} };
  });
}
