import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import type { Database, Db } from "@/db/client";
import type { Role } from "@/db/schema";
import { writeAudit } from "../control/audit";
import { InvalidInputError } from "../invalid-input";
import { redactDetails } from "../control/secrets";
import type { LoginLimiter } from "../control/login-limiter";
import type { UserRow } from "../control/users";
import { logger } from "../log";

const log = logger("api");

/** What the composition root hands every request: the running parts of this process. */
export interface Services {
  database: Database;
  version: string;
  startedAt: number;
  loginLimiter: LoginLimiter;
  /** How browsers reach the console: its public URL and the reverse proxies trusted in front of it. */
  web: import("../control/web-access").WebAccess;
  /** The embedded broker; `instance` gives in-process facts the protocol does not carry (disk use, rates). */
  broker?: { bootstrap: string; healthy(): boolean; instance?: import("../broker/broker").Broker };
  agents?: { healthy(): boolean; flows(): number; host?: import("../agents/host").AgentHost };
  /** Kafka-protocol connections to the embedded broker and every cluster added in the console. */
  clusters?: import("../admin/clusters").ClusterConnections;
  /** Per-second series of the metrics registry (the dashboard's live range). */
  sampler?: import("../metrics/series").SeriesSampler;
  /** Consumer lag sampled over time, per cluster and group. */
  lag?: import("../metrics/lag").LagSampler;
  /** The embedded agent as a member of the fleet: deployments to it are applied in-process. */
  fleet?: import("../control/agent-registry").EmbeddedAgent;
}

/** Filled in by procedures so the audit middleware can record what a mutation touched. */
export interface AuditDraft {
  actor?: string;
  targetKind?: string;
  target?: string;
  before?: unknown;
  after?: unknown;
  details?: Record<string, unknown>;
  /** Recorded instead of the request's input when that is bulk data (records produced from a file). */
  input?: unknown;
}

export interface Context {
  services: Services;
  db: Db;
  user: UserRow | undefined;
  sessionToken: string | undefined;
  requestId: string;
  clientAddress: string | undefined;
  /** The browser reached the console over HTTPS, so cookies it is sent must be Secure. */
  https: boolean;
  userAgent: string | undefined;
  setCookie(cookie: string): void;
  audit: AuditDraft;
}

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    // Zod's issue list is for machines; the message a user sees names the field and the problem.
    const zod = error.cause instanceof ZodError ? error.cause : undefined;
    const message = zod ? zod.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ") : shape.message;
    return { ...shape, message, data: { ...shape.data, stack: undefined } };
  },
});

/**
 * Every mutation passes here, whatever procedure it is built on: it is the base of all procedures,
 * so no mutation can skip the audit trail. Role checks run inside it, so a denial is recorded too.
 */
const audited = t.middleware(async ({ ctx, type, path, next, getRawInput }) => {
  if (type !== "mutation") return next();
  const result = await next();
  const error = result.ok ? undefined : result.error;
  const outcome = !error ? "ok" : error.code === "FORBIDDEN" || error.code === "UNAUTHORIZED" ? "denied" : "error";
  const a = ctx.audit;
  const details: Record<string, unknown> = { ...a.details, input: a.input !== undefined ? a.input : await getRawInput().catch(() => undefined) };
  if (a.before !== undefined) details.before = a.before;
  if (a.after !== undefined) details.after = a.after;
  if (error) details.error = error.message;
  try {
    await writeAudit(ctx.db, {
      actor: a.actor ?? ctx.user?.username ?? "anonymous",
      action: path,
      targetKind: a.targetKind,
      target: a.target,
      // Secrets never reach the trail, so it can be shown to viewers.
      details: redactDetails(details) as Record<string, unknown>,
      outcome,
      requestId: ctx.requestId,
      clientAddress: ctx.clientAddress,
    });
  } catch (err) {
    // The mutation already happened; losing its audit row must be loud, never silent.
    log.error({ err, path, requestId: ctx.requestId }, "audit write failed");
  }
  return result;
});

/**
 * Postgres's "data exception" class (SQLSTATE 22: a number out of range for its column, text that is
 * not a valid value of its type): a value the user sent that the database cannot hold.
 */
function postgresDataException(err: unknown): Error | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^22[0-9A-Z]{3}$/.test(code)) return e;
  }
  return undefined;
}

/** The 400 for an error that is the user's to fix; any other error is returned as it is. */
function asBadRequest(err: unknown): unknown {
  const cause = err instanceof TRPCError && err.code === "INTERNAL_SERVER_ERROR" ? err.cause : err;
  if (cause instanceof InvalidInputError || cause instanceof ZodError) return new TRPCError({ code: "BAD_REQUEST", message: cause.message, cause });
  const data = postgresDataException(cause);
  if (data) return new TRPCError({ code: "BAD_REQUEST", message: `Invalid value: ${data.message}.`, cause });
  return err;
}

async function* badInputIs400InStream(source: AsyncIterable<unknown>): AsyncGenerator<unknown> {
  try {
    yield* source;
  } catch (err) {
    throw asBadRequest(err);
  }
}

/**
 * Input the schema let through can still be unusable (a Flume file with no agent in it, a stored
 * definition parsed against what the user sent): that is the user's to fix, so it answers 400 with
 * the reason, for every procedure, rather than the 500 tRPC gives any error it does not know.
 * Subscriptions fail while they stream, so their stream is mapped too.
 */
const badInputIs400 = t.middleware(async ({ type, next }) => {
  const result = await next();
  if (!result.ok) {
    const mapped = asBadRequest(result.error);
    if (mapped !== result.error) throw mapped;
    return result;
  }
  const data: unknown = result.data;
  if (type === "subscription" && typeof data === "object" && data !== null && Symbol.asyncIterator in data) {
    return { ...result, data: badInputIs400InStream(data as AsyncIterable<unknown>) };
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(audited).use(badInputIs400);

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Procedures for a signed-in user with at least `min`'s rights. */
export function roleProcedure(min: Role) {
  return publicProcedure.use(({ ctx, next }) => {
    const user = ctx.user;
    if (!user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first." });
    if (RANK[user.role] < RANK[min]) {
      throw new TRPCError({ code: "FORBIDDEN", message: `Requires role ${min}; you are ${user.role}. Ask an admin for access.` });
    }
    return next({ ctx: { ...ctx, user } });
  });
}

export const viewerProcedure = roleProcedure("viewer");
export const operatorProcedure = roleProcedure("operator");
export const adminProcedure = roleProcedure("admin");
