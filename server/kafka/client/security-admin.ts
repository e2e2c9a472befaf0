import { pbkdf2Sync, randomBytes } from "node:crypto";
import { AclOperation, AclPermissionType, AclResourceType, PatternType, ScramMechanism } from "../constants";
import { ErrorCode } from "../errors";
import { Apis, type ApiSpec } from "../messages";
import type { ApiName } from "../messages.types";
import type { RequestInputOf, ResponseOf } from "../protocol";
import type { Acl, AclFilter } from "../../broker/security/acl";
import type { Cluster } from "./cluster";
import { check, KafkaClientError } from "./errors";
import { call } from "./protocol";

/** One ACL binding, in Kafka's wire codes: the broker's own model, which is Kafka's. */
export type AclBinding = Acl;

/** What DescribeAcls and DeleteAcls match: null names and the ANY codes match everything. */
export type AclBindingFilter = AclFilter;

export const MATCH_ALL_ACLS: AclBindingFilter = { resourceType: AclResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: AclOperation.ANY, permission: AclPermissionType.ANY };

export type ScramMechanismName = "SCRAM-SHA-256" | "SCRAM-SHA-512";
const MECHANISMS: Record<ScramMechanismName, { code: number; hash: string; size: number }> = {
  "SCRAM-SHA-256": { code: ScramMechanism.SCRAM_SHA_256, hash: "sha256", size: 32 },
  "SCRAM-SHA-512": { code: ScramMechanism.SCRAM_SHA_512, hash: "sha512", size: 64 },
};
const mechanismName = (code: number) => (Object.keys(MECHANISMS) as ScramMechanismName[]).find((m) => MECHANISMS[m].code === code);

export interface ScramUser {
  user: string;
  mechanisms: { mechanism: ScramMechanismName; iterations: number }[];
}

export interface QuotaEntityPart {
  entityType: "user" | "client-id";
  /** null: the default entity of the type. */
  entityName: string | null;
}

export interface ClientQuota {
  entity: QuotaEntityPart[];
  values: Record<string, number>;
}

/**
 * ACLs, SCRAM users and client quotas over the protocol (Kafka's AdminClient calls: any broker
 * for ACLs and quotas, the controller for credentials), so they work on any cluster that serves
 * these APIs. A password is salted here: only the salted password crosses the wire.
 */
export class SecurityAdmin {
  constructor(private readonly cluster: Cluster) {}

  async describeAcls(filter: AclBindingFilter = MATCH_ALL_ACLS): Promise<AclBinding[]> {
    const res = await this.onAny("DescribeAcls", Apis.DescribeAcls, { resourceTypeFilter: filter.resourceType, resourceNameFilter: filter.resourceName, patternTypeFilter: filter.patternType, principalFilter: filter.principal, hostFilter: filter.host, operation: filter.operation, permissionType: filter.permission });
    check(res.errorCode, "listing ACLs", res.errorMessage);
    return res.resources.flatMap((r) => r.acls.map((a) => ({ resourceType: r.resourceType, resourceName: r.resourceName, patternType: r.patternType, principal: a.principal, host: a.host, operation: a.operation, permission: a.permissionType })));
  }

  async createAcls(acls: AclBinding[]): Promise<void> {
    const res = await this.onAny("CreateAcls", Apis.CreateAcls, { creations: acls.map((a) => ({ resourceType: a.resourceType, resourceName: a.resourceName, resourcePatternType: a.patternType, principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permission })) });
    res.results.forEach((r, i) => check(r.errorCode, `creating an ACL for ${acls[i].principal} on ${acls[i].resourceName}`, r.errorMessage));
  }

  /** The bindings deleted. */
  async deleteAcls(filters: AclBindingFilter[]): Promise<AclBinding[]> {
    const res = await this.onAny("DeleteAcls", Apis.DeleteAcls, { filters: filters.map((f) => ({ resourceTypeFilter: f.resourceType, resourceNameFilter: f.resourceName, patternTypeFilter: f.patternType, principalFilter: f.principal, hostFilter: f.host, operation: f.operation, permissionType: f.permission })) });
    return res.filterResults.flatMap((r) => {
      check(r.errorCode, "deleting ACLs", r.errorMessage);
      return r.matchingAcls.map((a) => ({ resourceType: a.resourceType, resourceName: a.resourceName, patternType: a.patternType, principal: a.principal, host: a.host, operation: a.operation, permission: a.permissionType }));
    });
  }

  async describeScramUsers(): Promise<ScramUser[]> {
    const res = await this.onAny("DescribeUserScramCredentials", Apis.DescribeUserScramCredentials, { users: null });
    check(res.errorCode, "listing SCRAM users", res.errorMessage);
    return res.results.map((r) => {
      check(r.errorCode, `describing SCRAM user ${r.user}`, r.errorMessage);
      return { user: r.user, mechanisms: r.credentialInfos.flatMap((c) => { const mechanism = mechanismName(c.mechanism); return mechanism ? [{ mechanism, iterations: c.iterations }] : []; }) };
    });
  }

  /** Adds the user or changes its password for the mechanism. */
  async upsertScramCredential(user: string, mechanism: ScramMechanismName, password: string, iterations = 8192): Promise<void> {
    const m = MECHANISMS[mechanism];
    const salt = randomBytes(m.size);
    const saltedPassword = pbkdf2Sync(password, salt, iterations, m.size, m.hash);
    await this.alterScram(user, { deletions: [], upsertions: [{ name: user, mechanism: m.code, iterations, salt, saltedPassword }] });
  }

  async deleteScramCredential(user: string, mechanism: ScramMechanismName): Promise<void> {
    await this.alterScram(user, { deletions: [{ name: user, mechanism: MECHANISMS[mechanism].code }], upsertions: [] });
  }

  async describeQuotas(): Promise<ClientQuota[]> {
    const res = await this.onAny("DescribeClientQuotas", Apis.DescribeClientQuotas, { components: [], strict: false });
    check(res.errorCode, "listing client quotas", res.errorMessage);
    return (res.entries ?? []).map((e) => ({ entity: e.entity.map((p) => ({ entityType: p.entityType === "user" ? "user" : "client-id", entityName: p.entityName })), values: Object.fromEntries(e.values.map((v) => [v.key, v.value])) }));
  }

  /** Sets each key to its value, or removes it when null. */
  async alterQuota(entity: QuotaEntityPart[], values: Record<string, number | null>, validateOnly = false): Promise<void> {
    const res = await this.onAny("AlterClientQuotas", Apis.AlterClientQuotas, { entries: [{ entity, ops: Object.entries(values).map(([key, value]) => ({ key, value: value ?? 0, remove: value === null })) }], validateOnly });
    for (const e of res.entries) check(e.errorCode, "setting client quotas", e.errorMessage);
  }

  private async alterScram(user: string, body: RequestInputOf<"AlterUserScramCredentials">): Promise<void> {
    const res = await this.cluster.withRetry("AlterUserScramCredentials", async (attempt) => call(await this.cluster.controller(attempt), Apis.AlterUserScramCredentials, body));
    for (const r of res.results) check(r.errorCode, `changing the SCRAM credentials of ${user}`, r.errorMessage);
  }

  private onAny<N extends ApiName>(what: string, api: ApiSpec<N>, body: NoInfer<RequestInputOf<N>>): Promise<ResponseOf<N>> {
    return this.cluster.withRetry(what, async () => call(await this.cluster.any(), api, body));
  }
}

/** The cluster answered that it has no authorizer (Kafka's SECURITY_DISABLED) or does not serve the API at all. */
export function isUnsupported(err: unknown): err is KafkaClientError {
  return err instanceof KafkaClientError && (err.code === ErrorCode.SECURITY_DISABLED || err.code === ErrorCode.UNSUPPORTED_VERSION);
}
