import { describe, expect, it } from "vitest";
import { AclOperation as Op, AclPermissionType, AclResourceType, PatternType } from "../../kafka/constants";
import { codeOf, ErrorCode } from "../../kafka/errors";
import { CLUSTER, filterMatches, validateAcl, type Acl } from "./acl";
import { AclAuthorizer } from "./authorizer";

const topic = (name: string) => ({ type: AclResourceType.TOPIC, name });
const acl = (over: Partial<Acl>): Acl => ({ resourceType: AclResourceType.TOPIC, resourceName: "orders", patternType: PatternType.LITERAL, principal: "User:alice", host: "*", operation: Op.READ, permission: AclPermissionType.ALLOW, ...over });
const alice = { principal: "User:alice", host: "10.0.0.1" };
const bob = { principal: "User:bob", host: "10.0.0.2" };

describe("AclAuthorizer", () => {
  it("allows only what an ACL grants, with Kafka's implications", () => {
    const a = new AclAuthorizer({ superUsers: [], allowEveryoneIfNoAclFound: false }, [acl({}), acl({ resourceName: "cfg", operation: Op.ALTER_CONFIGS })]);
    expect(a.authorize(alice, Op.READ, topic("orders"))).toBe(true);
    expect(a.authorize(alice, Op.DESCRIBE, topic("orders"))).toBe(true); // READ implies DESCRIBE
    expect(a.authorize(alice, Op.WRITE, topic("orders"))).toBe(false);
    expect(a.authorize(bob, Op.READ, topic("orders"))).toBe(false);
    expect(a.authorize(alice, Op.DESCRIBE_CONFIGS, topic("cfg"))).toBe(true); // ALTER_CONFIGS implies DESCRIBE_CONFIGS
    expect(a.authorize(alice, Op.DESCRIBE, topic("cfg"))).toBe(false);
    expect(a.authorize(alice, Op.READ, topic("other"))).toBe(false);
  });

  it("lets DENY win over ALLOW, and DENY does not imply", () => {
    const a = new AclAuthorizer({ superUsers: [], allowEveryoneIfNoAclFound: false }, [acl({ operation: Op.ALL }), acl({ principal: "User:*", operation: Op.WRITE, permission: AclPermissionType.DENY })]);
    expect(a.authorize(alice, Op.WRITE, topic("orders"))).toBe(false);
    expect(a.authorize(alice, Op.READ, topic("orders"))).toBe(true);
    const b = new AclAuthorizer({ superUsers: [], allowEveryoneIfNoAclFound: false }, [acl({ operation: Op.DESCRIBE }), acl({ operation: Op.READ, permission: AclPermissionType.DENY })]);
    expect(b.authorize(alice, Op.DESCRIBE, topic("orders"))).toBe(true);
  });

  it("matches prefixed patterns, the * wildcard, hosts and User:*", () => {
    const a = new AclAuthorizer({ superUsers: [], allowEveryoneIfNoAclFound: false }, [
      acl({ resourceName: "a-", patternType: PatternType.PREFIXED }),
      acl({ resourceName: "*", principal: "User:*", operation: Op.DESCRIBE, host: "10.0.0.2" }),
    ]);
    expect(a.authorize(alice, Op.READ, topic("a-1"))).toBe(true);
    expect(a.authorize(alice, Op.READ, topic("b-1"))).toBe(false);
    expect(a.authorize(bob, Op.DESCRIBE, topic("anything"))).toBe(true);
    expect(a.authorize({ ...bob, host: "10.0.0.3" }, Op.DESCRIBE, topic("anything"))).toBe(false);
  });

  it("allows super users everything and, with allow.everyone.if.no.acl.found, resources no ACL names", () => {
    const a = new AclAuthorizer({ superUsers: ["User:root"], allowEveryoneIfNoAclFound: true }, [acl({})]);
    expect(a.authorize({ principal: "User:root", host: "x" }, Op.DELETE, topic("orders"))).toBe(true);
    expect(a.authorize(bob, Op.WRITE, topic("free"))).toBe(true);
    expect(a.authorize(bob, Op.READ, topic("orders"))).toBe(false); // named by an ACL: the ACLs decide
  });

  it("reports KIP-430 authorized operations as bits of Kafka's operation codes", () => {
    const a = new AclAuthorizer({ superUsers: [], allowEveryoneIfNoAclFound: false }, [acl({}), acl({ resourceType: AclResourceType.CLUSTER, resourceName: "kafka-cluster", operation: Op.CREATE })]);
    expect(a.authorizedOperations(alice, topic("orders"))).toBe((1 << Op.READ) | (1 << Op.DESCRIBE));
    expect(a.authorizedOperations(alice, CLUSTER)).toBe(1 << Op.CREATE);
  });

  it("answers whether some resource of a type is allowed", () => {
    const a = new AclAuthorizer({ superUsers: [], allowEveryoneIfNoAclFound: false }, [acl({ operation: Op.WRITE })]);
    expect(a.authorizeAny(alice, Op.WRITE, AclResourceType.TOPIC)).toBe(true);
    expect(a.authorizeAny(bob, Op.WRITE, AclResourceType.TOPIC)).toBe(false);
    a.setAcls([acl({ operation: Op.WRITE }), acl({ resourceName: "*", operation: Op.WRITE, permission: AclPermissionType.DENY })]);
    expect(a.authorizeAny(alice, Op.WRITE, AclResourceType.TOPIC)).toBe(false);
  });
});

function codeThrown(f: () => void): number {
  try {
    f();
    return ErrorCode.NONE;
  } catch (err) {
    return codeOf(err);
  }
}

describe("ACL filters and validation", () => {
  const prefixed = acl({ resourceName: "a-", patternType: PatternType.PREFIXED });
  const filter = { resourceType: AclResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: Op.ANY, permission: AclPermissionType.ANY };

  it("matches by ANY, MATCH, LITERAL and PREFIXED as Kafka's filters do", () => {
    expect(filterMatches(filter, prefixed)).toBe(true);
    expect(filterMatches({ ...filter, resourceName: "a-1", patternType: PatternType.MATCH }, prefixed)).toBe(true);
    expect(filterMatches({ ...filter, resourceName: "a-1", patternType: PatternType.ANY }, prefixed)).toBe(false);
    expect(filterMatches({ ...filter, resourceName: "a-", patternType: PatternType.LITERAL }, prefixed)).toBe(false);
    expect(filterMatches({ ...filter, resourceName: "a-", patternType: PatternType.PREFIXED }, prefixed)).toBe(true);
    expect(filterMatches({ ...filter, principal: "User:bob" }, prefixed)).toBe(false);
  });

  it("refuses ACLs Kafka would not store, saying why", () => {
    for (const bad of [acl({ resourceType: AclResourceType.ANY }), acl({ patternType: PatternType.MATCH }), acl({ principal: "alice" }), acl({ operation: Op.ANY }), acl({ permission: AclPermissionType.ANY }), acl({ resourceType: AclResourceType.CLUSTER, resourceName: "c" }), acl({ resourceType: AclResourceType.GROUP, operation: Op.WRITE })]) {
      expect(codeThrown(() => validateAcl(bad))).toBe(ErrorCode.INVALID_REQUEST);
    }
    expect(() => validateAcl(acl({}))).not.toThrow();
  });
});
