import { AclOperation, AclPermissionType, AclResourceType, PatternType } from "../../kafka/constants";
import { ErrorCode, KafkaError } from "../../kafka/errors";

/**
 * Kafka's ACL model: an ACL binds a resource pattern (type, name, literal or prefixed) to an
 * entry (principal, host, operation, allow or deny). Numbers are Kafka's wire codes, so ACLs
 * travel through CreateAcls/DescribeAcls/DeleteAcls and the store unchanged.
 */
export interface Acl {
  resourceType: number;
  resourceName: string;
  patternType: number;
  /** User:<name>, or User:* for every principal. */
  principal: string;
  /** A client address, or * for any. */
  host: string;
  operation: number;
  permission: number;
}

/** What DescribeAcls and DeleteAcls match: null and the ANY codes match everything. */
export interface AclFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permission: number;
}

/** A resource a request touches. */
export interface Resource {
  type: number;
  name: string;
}

export const CLUSTER_NAME = "kafka-cluster";
export const CLUSTER: Resource = { type: AclResourceType.CLUSTER, name: CLUSTER_NAME };
export const WILDCARD = "*";
export const WILDCARD_PRINCIPAL = "User:*";
/** The principal of a client that did not authenticate (no SASL on the listener). */
export const ANONYMOUS = "User:ANONYMOUS";

export const principalOf = (user: string) => `User:${user}`;

/**
 * Kafka's implications: an ALLOW for any of these operations also allows the key. DENY entries
 * never imply: denying READ does not deny DESCRIBE.
 */
const IMPLIED_BY: Partial<Record<number, number[]>> = {
  [AclOperation.DESCRIBE]: [AclOperation.DESCRIBE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER],
  [AclOperation.DESCRIBE_CONFIGS]: [AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS],
};

/** Does an ACL with operation `granted` (ALLOW) grant `wanted`? */
export function allowGrants(granted: number, wanted: number): boolean {
  return granted === AclOperation.ALL || granted === wanted || (IMPLIED_BY[wanted]?.includes(granted) ?? false);
}

/** Does an ACL with operation `denied` (DENY) deny `wanted`? */
export function denyDenies(denied: number, wanted: number): boolean {
  return denied === AclOperation.ALL || denied === wanted;
}

/** The operations KIP-430's authorized-operations bit sets report, per resource type (Kafka's supportedOperations). */
export const SUPPORTED_OPERATIONS: Record<number, readonly number[]> = {
  [AclResourceType.TOPIC]: [AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.ALTER, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS],
  [AclResourceType.GROUP]: [AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE],
  [AclResourceType.CLUSTER]: [AclOperation.CREATE, AclOperation.CLUSTER_ACTION, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.IDEMPOTENT_WRITE, AclOperation.ALTER, AclOperation.DESCRIBE],
  [AclResourceType.TRANSACTIONAL_ID]: [AclOperation.DESCRIBE, AclOperation.WRITE],
};

/** Does the ACL's pattern cover this resource (the resource's own literal name, the * wildcard, or a prefix of it)? */
export function patternCovers(acl: Pick<Acl, "resourceType" | "resourceName" | "patternType">, r: Resource): boolean {
  if (acl.resourceType !== r.type) return false;
  if (acl.patternType === PatternType.LITERAL) return acl.resourceName === r.name || acl.resourceName === WILDCARD;
  return acl.patternType === PatternType.PREFIXED && r.name.startsWith(acl.resourceName);
}

export function filterMatches(f: AclFilter, acl: Acl): boolean {
  if (f.resourceType !== AclResourceType.ANY && f.resourceType !== acl.resourceType) return false;
  if (f.principal !== null && f.principal !== acl.principal) return false;
  if (f.host !== null && f.host !== acl.host) return false;
  if (f.operation !== AclOperation.ANY && f.operation !== acl.operation) return false;
  if (f.permission !== AclPermissionType.ANY && f.permission !== acl.permission) return false;
  switch (f.patternType) {
    case PatternType.ANY:
      return f.resourceName === null || f.resourceName === acl.resourceName;
    case PatternType.MATCH:
      return f.resourceName === null || patternCovers(acl, { type: acl.resourceType, name: f.resourceName });
    default:
      return f.patternType === acl.patternType && (f.resourceName === null || f.resourceName === acl.resourceName);
  }
}

/** Is v one of the codes of a Kafka enumeration (AclOperation, PatternType, …)? */
export const isCode = (codes: Record<string, number>, v: number) => Object.values(codes).includes(v);

/** Throws INVALID_REQUEST, with the reason, for an ACL Kafka would not store. */
export function validateAcl(acl: Acl): void {
  const bad = (why: string) => new KafkaError(ErrorCode.INVALID_REQUEST, why);
  if (!isCode(AclResourceType, acl.resourceType) || acl.resourceType === AclResourceType.ANY || acl.resourceType === AclResourceType.UNKNOWN) throw bad(`resource type ${acl.resourceType} is not one an ACL can name (2 topic, 3 group, 4 cluster, 5 transactional id)`);
  if (!(acl.resourceType in SUPPORTED_OPERATIONS)) throw bad(`ACLs on resource type ${acl.resourceType} are not supported by this broker`);
  if (acl.patternType !== PatternType.LITERAL && acl.patternType !== PatternType.PREFIXED) throw bad(`pattern type ${acl.patternType} is not one an ACL can have (3 literal, 4 prefixed)`);
  if (acl.resourceName === "") throw bad("the resource name is empty");
  if (acl.resourceType === AclResourceType.CLUSTER && acl.resourceName !== CLUSTER_NAME) throw bad(`the cluster resource is named ${CLUSTER_NAME}, not '${acl.resourceName}'`);
  if (!/^User:.+$/.test(acl.principal)) throw bad(`principal '${acl.principal}' must be User:<name> or User:*`);
  if (acl.host === "") throw bad("the host is empty; use * for any host");
  if (!isCode(AclOperation, acl.operation) || acl.operation === AclOperation.ANY || acl.operation === AclOperation.UNKNOWN) throw bad(`operation ${acl.operation} is not one an ACL can grant`);
  if (acl.operation !== AclOperation.ALL && !SUPPORTED_OPERATIONS[acl.resourceType].includes(acl.operation)) throw bad(`operation ${operationName(acl.operation)} does not apply to resource type ${resourceTypeName(acl.resourceType)}`);
  if (acl.permission !== AclPermissionType.ALLOW && acl.permission !== AclPermissionType.DENY) throw bad(`permission ${acl.permission} must be 2 deny or 3 allow`);
}

const nameOf = (codes: Record<string, number>) => {
  const names = new Map(Object.entries(codes).map(([k, v]) => [v, k]));
  return (code: number) => names.get(code) ?? String(code);
};
export const operationName = nameOf(AclOperation);
export const resourceTypeName = nameOf(AclResourceType);

/** Two ACLs are the same binding when every field is. */
export const aclKey = (a: Acl) => `${a.resourceType}\u0000${a.patternType}\u0000${a.resourceName}\u0000${a.principal}\u0000${a.host}\u0000${a.operation}\u0000${a.permission}`;
