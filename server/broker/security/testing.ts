import { AclOperation, AclPermissionType, AclResourceType, PatternType } from "../../kafka/constants";
import { BrokerConnection } from "../../kafka/client/connection";
import type { SaslMechanism } from "../../kafka/client/sasl";
import { Apis, type ApiSpec } from "../../kafka/messages";
import type { ApiName } from "../../kafka/messages.types";
import { decodeResponse, encodeRequest, type RequestInputOf, type ResponseOf } from "../../kafka/protocol";

/** Test helpers: a connection logged in as a SASL user, raw requests on it, and ACLs set by an admin. */
export type UserConnection = BrokerConnection;

export function userConnection(bootstrap: string, username: string, password: string, mechanism: SaslMechanism = "SCRAM-SHA-256"): Promise<UserConnection> {
  const i = bootstrap.lastIndexOf(":");
  return BrokerConnection.open({ host: bootstrap.slice(0, i), port: Number(bootstrap.slice(i + 1)), clientId: `test-${username}`, sasl: { mechanism, username, password }, connectTimeoutMs: 5000, requestTimeoutMs: 15_000, maxInFlight: 4, maxResponseBytes: 64 * 1024 * 1024 });
}

/** Sends one request at exactly this version and decodes the answer. */
export function call<N extends ApiName>(conn: UserConnection, api: ApiSpec<N>, version: number, body: NoInfer<RequestInputOf<N>>): Promise<ResponseOf<N>> {
  return conn.send(api, version, (w) => encodeRequest(api, version, body, w), (r) => decodeResponse(api, version, r));
}

/** Allows each (operation, resource type, literal name) to the principal, from any host. */
export async function grant(admin: UserConnection, principal: string, acls: readonly [number, number, string][], patternType: number = PatternType.LITERAL): Promise<void> {
  const res = await call(admin, Apis.CreateAcls, 1, {
    creations: acls.map(([operation, resourceType, resourceName]) => ({ resourceType, resourceName, resourcePatternType: patternType, principal, host: "*", operation, permissionType: AclPermissionType.ALLOW })),
  });
  const failed = res.results.filter((r) => r.errorCode !== 0);
  if (failed.length) throw new Error(`CreateAcls failed: ${failed.map((f) => f.errorMessage).join("; ")}`);
}

export async function revokeAll(admin: UserConnection): Promise<void> {
  await call(admin, Apis.DeleteAcls, 1, { filters: [{ resourceTypeFilter: AclResourceType.ANY, resourceNameFilter: null, patternTypeFilter: PatternType.ANY, principalFilter: null, hostFilter: null, operation: AclOperation.ANY, permissionType: AclPermissionType.ANY }] });
}
