import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { componentCatalog } from "../../agents/catalog";
import { flowSchema } from "../../agents/flow";
import { exportFlumeProperties } from "../../agents/flume/export";
import { importFlumeProperties } from "../../agents/flume/import";
import { agentNames, listAgents } from "../../control/agent-registry";
import {
  checkFlow,
  checkFlowTopics,
  clusterTopicCatalog,
  createFlow,
  deploy,
  DeployConflictError,
  diffFlows,
  FlowExistsError,
  FlowInvalidError,
  FlowNotFoundError,
  getFlow,
  getVersion,
  listFlows,
  readVersion,
  rollbackTo,
  rollout,
  saveVersion,
  setDesired,
} from "../../control/flows";
import templates from "../../control/flow-templates.json";
import { ratesPerDatabase } from "../../metrics/growth-rates";
import { adminProcedure, operatorProcedure, router, viewerProcedure, type Context } from "../trpc";

/** Our control errors become tRPC errors with the same message, which already says what to do. */
async function mapped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof FlowInvalidError) throw new TRPCError({ code: "BAD_REQUEST", message: err.message, cause: err });
    if (err instanceof FlowNotFoundError) throw new TRPCError({ code: "NOT_FOUND", message: err.message, cause: err });
    if (err instanceof DeployConflictError) throw new TRPCError({ code: "CONFLICT", message: err.message, cause: err });
    if (err instanceof FlowExistsError) throw new TRPCError({ code: "CONFLICT", message: err.message, cause: err });
    throw err;
  }
}

/** The embedded agent applies a deployment change at once instead of waiting for its next heartbeat. */
async function syncEmbedded(ctx: Context): Promise<void> {
  await ctx.services.fleet?.sync();
}

const tapInput = z.object({ flowId: z.number().int().positive(), channel: z.string().min(1), side: z.enum(["put", "take"]) });

function requireFleet(ctx: Context) {
  const fleet = ctx.services.fleet;
  if (!fleet) throw new TRPCError({ code: "PRECONDITION_FAILED", message: "this process runs no embedded agent; taps work on flows running in it" });
  return fleet;
}

function tapTarget(ctx: Context, input: z.infer<typeof tapInput>) {
  const fleet = requireFleet(ctx);
  const channel = fleet.host.runtime(String(input.flowId))?.channel(input.channel);
  if (!channel) throw new TRPCError({ code: "NOT_FOUND", message: `channel "${input.channel}" is not running on the embedded agent; deploy the flow there to tap it` });
  return { fleet, key: `${input.flowId}/${input.channel}`, channel };
}

type Agents = Awaited<ReturnType<typeof listAgents>>;
type RolloutRow = Awaited<ReturnType<typeof rollout>>[number];

/** A deployment's Flume counters and when they were read: the embedded agent's now, a standalone agent's from its last heartbeat. */
function reportedCounters(ctx: Context, flowName: string, r: RolloutRow, agents: Agents) {
  const host = ctx.services.fleet?.host;
  const a = agents.find((x) => x.id === r.agentId);
  const counters = r.embedded && host ? host.metrics()[flowName] : a?.metrics[flowName];
  return { counters: counters ?? {}, at: r.embedded ? Date.now() : (a?.lastHeartbeatAt?.getTime() ?? 0) };
}

/** Events each deployment's sinks delivered, between reads of the flows list. */
const deliveryRates = ratesPerDatabase();

function delivered(counters: Record<string, Record<string, number | string>>): number {
  let n = 0;
  for (const [key, c] of Object.entries(counters)) if (key.startsWith("SINK.") && typeof c.EventDrainSuccessCount === "number") n += c.EventDrainSuccessCount;
  return n;
}

const flowName = z.string().min(1).max(100).regex(/^[a-zA-Z0-9._-]+$/, "use letters, digits, dot, dash or underscore");
const id = z.number().int().positive();

/** Stop and start: the flow's deployments (all, or on the agents named) get the desired state; audited with the agents' names. */
function setDesiredProcedure(desired: "running" | "stopped") {
  return operatorProcedure.input(z.object({ flowId: id, agentIds: z.array(id).optional() })).mutation(({ ctx, input }) => {
    ctx.audit.targetKind = "flow";
    ctx.audit.target = String(input.flowId);
    return mapped(async () => {
      const ids = await setDesired(ctx.db, { ...input, desired, actor: ctx.user.username });
      const names = await agentNames(ctx.db);
      ctx.audit.details = { agents: ids.map((i) => names.get(i)) };
      await syncEmbedded(ctx);
      return ids;
    });
  });
}

export const flowsRouter = router({
  // What the designer's palette and forms are generated from: one JSON Schema per component type.
  components: viewerProcedure.query(() => componentCatalog()),
  templates: viewerProcedure.query(({ ctx }) => {
    // Templates name a local broker; point them at this console's embedded one when there is one.
    const bootstrap = ctx.services.broker?.bootstrap;
    return templates.map((t) => {
      const flow = bootstrap ? (JSON.parse(JSON.stringify(t.flow).replaceAll("127.0.0.1:9092", bootstrap)) as typeof t.flow) : t.flow;
      return { ...t, flow, issues: checkFlow({ name: "template", ...flow }) };
    });
  }),
  /** Every flow, and per deployment: its version against the latest (drift), its state and the events per second its sinks deliver. */
  list: viewerProcedure.query(async ({ ctx }) => {
    const [list, agents] = await Promise.all([listFlows(ctx.db), listAgents(ctx.db)]);
    return Promise.all(
      list.map(async (f) => {
        const rows = await rollout(ctx.db, f.id);
        const deployments = rows.map((r) => {
          const { counters, at } = reportedCounters(ctx, f.name, r, agents);
          const rate = r.state === "running" ? (deliveryRates(ctx.db).observe(`${f.id}/${r.agentId}`, at, new Map([["delivered", delivered(counters)]])).get("delivered") ?? null) : null;
          return { agent: r.agent, version: r.version, behind: f.latest - r.version, desired: r.desired, state: r.state, error: r.error, eventsPerSec: rate };
        });
        return { ...f, deployments };
      }),
    );
  }),
  get: viewerProcedure.input(z.object({ id })).query(({ ctx, input }) => mapped(() => getFlow(ctx.db, input.id))),
  version: viewerProcedure
    .input(z.object({ flowId: id, version: z.number().int().positive().optional() }))
    .query(({ ctx, input }) => mapped(() => readVersion(ctx.db, input.flowId, input.version))),
  validate: viewerProcedure.input(z.object({ definition: z.unknown() })).query(async ({ ctx, input }) => {
    const issues = checkFlow(input.definition);
    if (issues.length > 0 || !ctx.services.clusters) return issues;
    return checkFlowTopics(input.definition, clusterTopicCatalog(ctx.services.clusters));
  }),
  diff: viewerProcedure
    .input(z.object({ flowId: id, from: z.number().int().positive(), to: z.number().int().positive() }))
    .query(({ ctx, input }) =>
      mapped(async () => {
        const [a, b] = await Promise.all([getVersion(ctx.db, input.flowId, input.from), getVersion(ctx.db, input.flowId, input.to)]);
        return diffFlows(a.definition, b.definition);
      }),
    ),
  importProperties: viewerProcedure
    .input(z.object({ text: z.string().max(1024 * 1024), agent: z.string().min(1).max(100) }))
    .mutation(({ ctx, input }) => {
      ctx.audit.targetKind = "flow";
      ctx.audit.target = `import:${input.agent}`;
      const result = importFlumeProperties(input.text, input.agent);
      if (!Object.keys(result.flow.sources).length && !Object.keys(result.flow.channels).length && !Object.keys(result.flow.sinks).length) {
        throw new TRPCError({ code: "BAD_REQUEST", message: `no components found under "${input.agent}."; check the agent name (the first part of each key, as passed to flume-ng -n)` });
      }
      return result;
    }),
  exportProperties: viewerProcedure
    .input(z.object({ flowId: id, version: z.number().int().positive(), agent: z.string().min(1).max(100).default("agent") }))
    .query(({ ctx, input }) =>
      mapped(async () => {
        const v = await readVersion(ctx.db, input.flowId, input.version);
        return exportFlumeProperties(flowSchema.parse(v.definition), input.agent);
      }),
    ),

  create: operatorProcedure
    .input(z.object({ name: flowName, description: z.string().max(1000).default(""), definition: z.unknown(), message: z.string().max(500).default("First version") }))
    .mutation(({ ctx, input }) => {
      ctx.audit.targetKind = "flow";
      ctx.audit.target = input.name;
      return mapped(() => createFlow(ctx.db, { ...input, author: ctx.user.username }));
    }),
  save: operatorProcedure
    .input(z.object({ flowId: id, definition: z.unknown(), message: z.string().min(1, "say what changed").max(500), baseVersion: z.number().int().positive().optional() }))
    .mutation(({ ctx, input }) => {
      ctx.audit.targetKind = "flow";
      ctx.audit.target = String(input.flowId);
      return mapped(async () => {
        const saved = await saveVersion(ctx.db, { ...input, author: ctx.user.username });
        ctx.audit.details = { version: saved.version };
        return saved;
      });
    }),
  rollback: operatorProcedure.input(z.object({ flowId: id, version: z.number().int().positive() })).mutation(({ ctx, input }) => {
    ctx.audit.targetKind = "flow";
    ctx.audit.target = String(input.flowId);
    return mapped(async () => {
      const saved = await rollbackTo(ctx.db, input.flowId, input.version, ctx.user.username);
      ctx.audit.details = { rolledBackTo: input.version, newVersion: saved.version };
      return saved;
    });
  }),

  deploy: adminProcedure
    .input(z.object({ flowId: id, version: z.number().int().positive(), agentIds: z.array(id).min(1, "choose at least one agent") }))
    .mutation(({ ctx, input }) => {
      ctx.audit.targetKind = "flow";
      ctx.audit.target = String(input.flowId);
      return mapped(async () => {
        const r = await deploy(ctx.db, { ...input, actor: ctx.user.username });
        ctx.audit.details = { version: input.version, agents: r.targets };
        await syncEmbedded(ctx);
        return r;
      });
    }),
  stop: setDesiredProcedure("stopped"),
  start: setDesiredProcedure("running"),
  /**
   * An opt-in, bounded sample of the latest events through a channel of a flow on the embedded agent:
   * "put" is what its sources committed into it, "take" what its sinks delivered out of it.
   */
  tapOpen: operatorProcedure.input(tapInput).mutation(({ ctx, input }) => {
    ctx.audit.targetKind = "flow";
    ctx.audit.target = String(input.flowId);
    const { fleet, key, channel } = tapTarget(ctx, input);
    return fleet.taps.open(key, channel).read(input.side);
  }),
  tapRead: viewerProcedure.input(tapInput).query(({ ctx, input }) => {
    const { fleet, key, channel } = tapTarget(ctx, input);
    return fleet.taps.get(key, channel)?.read(input.side) ?? null;
  }),
  tapClose: operatorProcedure.input(tapInput).mutation(({ ctx, input }) => {
    ctx.audit.targetKind = "flow";
    ctx.audit.target = String(input.flowId);
    return requireFleet(ctx).taps.close(`${input.flowId}/${input.channel}`);
  }),
  rollout: viewerProcedure.input(z.object({ flowId: id })).query(({ ctx, input }) => rollout(ctx.db, input.flowId)),

  /**
   * Live counters of a flow on every agent running it: read straight from the embedded agent, and
   * from the last heartbeat of standalone ones. The browser turns successive samples into rates.
   */
  live: viewerProcedure.input(z.object({ flowId: id })).query(async ({ ctx, input }) => {
    const flow = await mapped(() => getFlow(ctx.db, input.flowId));
    const rows = await rollout(ctx.db, input.flowId);
    const host = ctx.services.fleet?.host;
    const agents = await listAgents(ctx.db);
    return {
      at: Date.now(),
      agents: rows.map((r) => {
        const { counters, at } = reportedCounters(ctx, flow.name, r, agents);
        const components = r.embedded && host ? (host.status().find((f) => f.id === String(input.flowId))?.components ?? {}) : r.components;
        return { agent: r.agent, state: r.state, version: r.version, counters, components, at };
      }),
    };
  }),
});
