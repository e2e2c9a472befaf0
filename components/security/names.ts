import { AclOperation, AclPermissionType, AclResourceType, PatternType } from "@/server/kafka/constants";
import type { AclBinding } from "@/server/kafka/client/security-admin";
import { formatBytesRate } from "@/components/format";

/** Kafka's names for the wire codes, as kafka-acls.sh prints them. */
function names(codes: Record<string, number>, skip: string[]): { code: number; name: string }[] {
  return Object.entries(codes)
    .filter(([n]) => !skip.includes(n))
    .map(([name, code]) => ({ code, name }));
}

export const RESOURCE_TYPES = names(AclResourceType, ["UNKNOWN", "ANY"]);
export const PATTERN_TYPES = names(PatternType, ["UNKNOWN", "ANY", "MATCH"]);
export const OPERATIONS = names(AclOperation, ["UNKNOWN", "ANY"]);
export const PERMISSIONS = names(AclPermissionType, ["UNKNOWN", "ANY"]);

const nameOf = (list: { code: number; name: string }[], code: number) => list.find((c) => c.code === code)?.name ?? `code ${code}`;
export const resourceTypeName = (c: number) => nameOf(RESOURCE_TYPES, c);
export const patternTypeName = (c: number) => nameOf(PATTERN_TYPES, c);
export const operationName = (c: number) => nameOf(OPERATIONS, c);
export const permissionName = (c: number) => nameOf(PERMISSIONS, c);

export type Binding = AclBinding;

/** One line an operator reads: "ALLOW User:bob READ on TOPIC orders (LITERAL) from *". */
export const bindingText = (b: Binding) => `${permissionName(b.permission)} ${b.principal} ${operationName(b.operation)} on ${resourceTypeName(b.resourceType)} ${b.resourceName} (${patternTypeName(b.patternType)}) from ${b.host}`;

export const QUOTA_KEYS = ["producer_byte_rate", "consumer_byte_rate", "request_percentage"] as const;
export type QuotaKey = (typeof QUOTA_KEYS)[number];

export const quotaText = (key: string, value: number) => (key === "request_percentage" ? `${value.toLocaleString()} %` : formatBytesRate(value));

export const entityText = (entity: { entityType: string; entityName: string | null }[]) => entity.map((e) => `${e.entityType} ${e.entityName ?? "(default)"}`).join(", ");
