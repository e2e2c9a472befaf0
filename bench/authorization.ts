/**
 * What authorization costs a request: the authorization table around a no-op handler, per
 * Produce request of one topic (the hot path) and per Metadata of every topic, with the
 * authorizer off, and on with 1,000 ACLs (100 of them prefixed) over 1,000 topics.
 * Usage: npm run bench:authorization
 */
import { performance } from "node:perf_hooks";
import { AclOperation, AclPermissionType, AclResourceType, PatternType } from "../server/kafka/constants";
import type { RequestOf, ResponseInputOf } from "../server/kafka/protocol";
import type { Acl } from "../server/broker/security/acl";
import { authorizeRequest, type Access } from "../server/broker/security/authorization";
import { AclAuthorizer, ALLOW_ALL, type Authorizer } from "../server/broker/security/authorizer";

const TOPICS = Array.from({ length: 1000 }, (_, i) => `topic-${i}`);
const ACLS: Acl[] = TOPICS.map((name, i) => ({
  resourceType: AclResourceType.TOPIC,
  resourceName: i % 10 === 0 ? name.slice(0, 8) : name,
  patternType: i % 10 === 0 ? PatternType.PREFIXED : PatternType.LITERAL,
  principal: `User:app-${i % 50}`,
  host: "*",
  operation: AclOperation.WRITE,
  permission: AclPermissionType.ALLOW,
}));

function access(authorizer: Authorizer): Access {
  const ctx = { principal: "User:app-7", host: "127.0.0.1" };
  return {
    may: (op, r) => authorizer.authorize(ctx, op, r),
    mayAny: (op, type) => authorizer.authorizeAny(ctx, op, type),
    operations: (r) => authorizer.authorizedOperations(ctx, r),
    topicExists: () => true,
    topicName: () => undefined,
  };
}

const produce: RequestOf<"Produce"> = { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: "topic-7", partitionData: [{ index: 0, records: Buffer.alloc(0) }] }] };
const produced: ResponseInputOf<"Produce"> = { responses: [{ name: "topic-7", partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 0 }] }] };
const metadata: RequestOf<"Metadata"> = { topics: null, allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };
const described: ResponseInputOf<"Metadata"> = { brokers: [], topics: TOPICS.map((name) => ({ errorCode: 0, name, partitions: [] })) };

function perCall(n: number, f: () => unknown): number {
  for (let i = 0; i < Math.min(n, 10_000); i++) f();
  const start = performance.now();
  for (let i = 0; i < n; i++) f();
  return ((performance.now() - start) * 1e6) / n;
}

const rows: [string, number][] = [["Produce, the handler alone (no table)", perCall(1_000_000, () => produced)]];
for (const [label, authorizer] of [["--authorizer none", ALLOW_ALL], ["--authorizer acl, 1,000 ACLs", new AclAuthorizer({ superUsers: [], allowEveryoneIfNoAclFound: false }, ACLS)]] as const) {
  const a = access(authorizer);
  rows.push([`Produce, 1 topic, ${label}`, perCall(1_000_000, () => authorizeRequest("Produce", produce, 7, a, () => produced))]);
  rows.push([`Metadata, 1,000 topics, ${label}`, perCall(2_000, () => authorizeRequest("Metadata", metadata, 9, a, () => described))]);
}
console.log("| request (no-op handler) | ns per request |\n|---|---:|");
for (const [label, ns] of rows) console.log(`| ${label} | ${Math.round(ns).toLocaleString("en")} |`);
