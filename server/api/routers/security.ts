import { z } from "zod";
import { EMBEDDED_CLUSTER } from "../../admin/clusters";
import { onCluster } from "../../admin/kafka-errors";
import { AclOperation, AclPermissionType, AclResourceType, PatternType } from "../../kafka/constants";
import { SecurityAdmin, isUnsupported } from "../../kafka/client/security-admin";
import { AclAuthorizer } from "../../broker/security/authorizer";
import { SUPPORTED_OPERATIONS } from "../../broker/security/acl";
import { adminProcedure, router, viewerProcedure, type Context } from "../trpc";
import { clusterConnections } from "./clusters";

const cluster = z.string().min(1).max(100).default(EMBEDDED_CLUSTER);
const principal = z.string().trim().regex(/^User:\S+$/, "a principal reads User:<name>, or User:* for everyone").max(300);
const code = (codes: Record<string, number>, exclude: number[]) => z.number().int().refine((v) => Object.values(codes).includes(v) && !exclude.includes(v), "unknown code");
const binding = z.object({
  resourceType: code(AclResourceType, [AclResourceType.UNKNOWN, AclResourceType.ANY]),
  resourceName: z.string().trim().min(1).max(255),
  patternType: code(PatternType, [PatternType.UNKNOWN, PatternType.ANY, PatternType.MATCH]),
  principal,
  host: z.string().trim().min(1).max(255),
  operation: code(AclOperation, [AclOperation.UNKNOWN, AclOperation.ANY]),
  permission: code(AclPermissionType, [AclPermissionType.UNKNOWN, AclPermissionType.ANY]),
});
const user = z.string().trim().min(1).max(255).regex(/^[^\s,=]+$/, "no spaces, commas or equals signs");
const mechanism = z.enum(["SCRAM-SHA-256", "SCRAM-SHA-512"]);
const quotaEntity = z
  .array(z.object({ entityType: z.enum(["user", "client-id"]), entityName: z.string().trim().min(1).max(255).nullable() }))
  .min(1)
  .max(2)
  .refine((parts) => new Set(parts.map((p) => p.entityType)).size === parts.length, "name a user, a client id, or one of each");
const quotaValue = z.number().positive().max(Number.MAX_SAFE_INTEGER).nullable();

/** A section the cluster does not serve (no authorizer, or an API it lacks) shows why, not an error page. */
type Section<T> = { ok: true; items: T } | { ok: false; reason: string };

async function section<T>(what: string, fn: () => Promise<T>): Promise<Section<T>> {
  try {
    return { ok: true, items: await fn() };
  } catch (err) {
    if (isUnsupported(err)) return { ok: false, reason: `This cluster does not serve ${what}: ${err.message}.` };
    throw err;
  }
}

function onSecurity<T>(ctx: Context, name: string, fn: (admin: SecurityAdmin) => Promise<T>): Promise<T> {
  return onCluster(name, async () => fn(new SecurityAdmin((await clusterConnections(ctx).client(name)).cluster)));
}

export const securityRouter = router({
  overview: viewerProcedure.input(z.object({ cluster })).query(({ ctx, input }) =>
    onSecurity(ctx, input.cluster, async (admin) => {
      const [acls, users, quotas] = await Promise.all([section("ACLs (start it with an authorizer)", () => admin.describeAcls()), section("SCRAM credentials", () => admin.describeScramUsers()), section("client quotas", () => admin.describeQuotas())]);
      return { acls, users, quotas };
    }),
  ),

  /**
   * What the ACLs let a principal do on a topic, by Kafka's rules (DENY wins, implications,
   * PREFIXED and User:*). Super users and allow.everyone.if.no.acl.found are broker flags a client
   * cannot see, so the answer is what the ACLs alone grant.
   */
  check: viewerProcedure.input(z.object({ cluster, principal, topic: z.string().trim().min(1).max(249), host: z.string().trim().min(1).max(255).default("*") })).query(({ ctx, input }) =>
    onSecurity(ctx, input.cluster, async (admin) => {
      const acls = await admin.describeAcls();
      const authorizer = new AclAuthorizer({ superUsers: [], allowEveryoneIfNoAclFound: false }, acls);
      const resource = { type: AclResourceType.TOPIC, name: input.topic };
      const who = { principal: input.principal, host: input.host };
      return {
        operations: SUPPORTED_OPERATIONS[AclResourceType.TOPIC].map((operation) => ({ operation, allowed: authorizer.authorize(who, operation, resource) })),
        // The bindings that decided it: those naming this principal (or User:*) and covering the topic.
        acls: acls.filter((a) => a.resourceType === AclResourceType.TOPIC && (a.principal === input.principal || a.principal === "User:*") && (a.patternType === PatternType.LITERAL ? a.resourceName === input.topic || a.resourceName === "*" : input.topic.startsWith(a.resourceName))),
      };
    }),
  ),

  createAcl: adminProcedure.input(z.object({ cluster, binding })).mutation(async ({ ctx, input }) => {
    ctx.audit.targetKind = "acl";
    ctx.audit.target = `${input.cluster}/${input.binding.principal}`;
    ctx.audit.after = input.binding;
    await onSecurity(ctx, input.cluster, (admin) => admin.createAcls([input.binding]));
    return { ok: true as const };
  }),

  deleteAcl: adminProcedure.input(z.object({ cluster, binding })).mutation(async ({ ctx, input }) => {
    ctx.audit.targetKind = "acl";
    ctx.audit.target = `${input.cluster}/${input.binding.principal}`;
    const deleted = await onSecurity(ctx, input.cluster, (admin) => admin.deleteAcls([input.binding]));
    ctx.audit.before = deleted;
    return { deleted: deleted.length };
  }),

  /** Adds a SCRAM user or changes its password; the password is salted before it leaves this process and never audited. */
  setPassword: adminProcedure.input(z.object({ cluster, user, mechanism, password: z.string().min(8, "must be at least 8 characters").max(1024), iterations: z.number().int().min(4096).max(16384).default(8192) })).mutation(async ({ ctx, input }) => {
    ctx.audit.targetKind = "scram-user";
    ctx.audit.target = `${input.cluster}/${input.user}`;
    ctx.audit.input = { cluster: input.cluster, user: input.user, mechanism: input.mechanism, iterations: input.iterations };
    await onSecurity(ctx, input.cluster, (admin) => admin.upsertScramCredential(input.user, input.mechanism, input.password, input.iterations));
    return { user: input.user };
  }),

  deleteUser: adminProcedure.input(z.object({ cluster, user, mechanisms: z.array(mechanism).min(1).max(2) })).mutation(async ({ ctx, input }) => {
    ctx.audit.targetKind = "scram-user";
    ctx.audit.target = `${input.cluster}/${input.user}`;
    await onSecurity(ctx, input.cluster, async (admin) => {
      for (const m of input.mechanisms) await admin.deleteScramCredential(input.user, m);
    });
    return { deleted: input.user };
  }),

  /** Sets (or with null removes) quota values of one entity; `validateOnly` is the preview. */
  setQuota: adminProcedure
    .input(z.object({ cluster, entity: quotaEntity, values: z.object({ producer_byte_rate: quotaValue.optional(), consumer_byte_rate: quotaValue.optional(), request_percentage: quotaValue.optional() }) }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.targetKind = "client-quota";
      ctx.audit.target = `${input.cluster}/${input.entity.map((e) => `${e.entityType}=${e.entityName ?? "<default>"}`).join(",")}`;
      const values = Object.fromEntries(Object.entries(input.values).filter((e): e is [string, number | null] => e[1] !== undefined));
      await onSecurity(ctx, input.cluster, async (admin) => {
        ctx.audit.before = (await admin.describeQuotas()).find((q) => q.entity.length === input.entity.length && q.entity.every((p) => input.entity.some((e) => e.entityType === p.entityType && e.entityName === p.entityName)))?.values ?? {};
        await admin.alterQuota(input.entity, values);
      });
      ctx.audit.after = values;
      return { ok: true as const };
    }),
});
