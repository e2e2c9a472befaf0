import { AclPermissionType, AUTHORIZED_OPERATIONS_OMITTED, PatternType } from "../../kafka/constants";
import { allowGrants, denyDenies, SUPPORTED_OPERATIONS, WILDCARD, WILDCARD_PRINCIPAL, type Acl, type Resource } from "./acl";

/** Who sent a request: the authenticated principal (User:<name>, or User:ANONYMOUS) and the address it came from. */
export interface RequestContext {
  principal: string;
  host: string;
}

/** Kafka's Authorizer: answers whether a principal may do an operation on a resource. */
export interface Authorizer {
  /** false for `--authorizer none`: every request is allowed and the ACL APIs answer SECURITY_DISABLED. */
  readonly enabled: boolean;
  authorize(ctx: RequestContext, operation: number, resource: Resource): boolean;
  /** KIP-430's bit set: bit n is set when operation n is allowed on the resource. */
  authorizedOperations(ctx: RequestContext, resource: Resource): number;
  /** Whether the principal may do the operation on at least one resource of the type (Kafka's authorizeByResourceType). */
  authorizeAny(ctx: RequestContext, operation: number, type: number): boolean;
}

export interface AclAuthorizerOptions {
  /** Principals allowed everything, such as User:admin. */
  superUsers: readonly string[];
  /** Kafka's allow.everyone.if.no.acl.found: a resource no ACL names is open to everyone. */
  allowEveryoneIfNoAclFound: boolean;
}

/** `--authorizer none`: today's behaviour, everything allowed. */
export const ALLOW_ALL: Authorizer = {
  enabled: false,
  authorize: () => true,
  authorizedOperations: (_ctx, r) => bits(SUPPORTED_OPERATIONS[r.type] ?? []),
  authorizeAny: () => true,
};

const MAX_CACHED_DECISIONS = 100_000;

const bits = (ops: readonly number[]) => ops.reduce((set, op) => set | (1 << op), 0);

/** ACLs by resource type: literal ones by name (the * wildcard among them), prefixed ones in a list. */
interface Index {
  literal: Map<string, Acl[]>;
  prefixed: Acl[];
}

/**
 * Kafka's ACL authorizer (StandardAuthorizer's rules): super users may do everything; otherwise
 * a DENY matching the principal (or User:*), the host (or *) and the operation (or ALL) wins; an
 * ALLOW is needed, where READ, WRITE, DELETE and ALTER also allow DESCRIBE and ALTER_CONFIGS
 * allows DESCRIBE_CONFIGS; a resource that no ACL covers is open only with
 * allow.everyone.if.no.acl.found. ACLs take effect as soon as setAcls is called.
 */
export class AclAuthorizer implements Authorizer {
  readonly enabled = true;
  private index = new Map<number, Index>();
  /** Decisions since the ACLs last changed: Metadata asks about every topic on every request. */
  private decisions = new Map<string, boolean>();
  private superUsers: Set<string>;

  constructor(
    private opts: AclAuthorizerOptions,
    acls: readonly Acl[] = [],
  ) {
    this.superUsers = new Set(opts.superUsers);
    this.setAcls(acls);
  }

  /** The brokers' internal principals: super users besides --super-users, replaced as a whole when the cluster's set changes. */
  setInternalSuperUsers(principals: readonly string[]): void {
    this.superUsers = new Set([...this.opts.superUsers, ...principals]);
  }

  setAcls(acls: readonly Acl[]): void {
    this.decisions = new Map();
    const index = new Map<number, Index>();
    for (const acl of acls) {
      let i = index.get(acl.resourceType);
      if (!i) index.set(acl.resourceType, (i = { literal: new Map(), prefixed: [] }));
      if (acl.patternType === PatternType.PREFIXED) i.prefixed.push(acl);
      else {
        const list = i.literal.get(acl.resourceName);
        if (list) list.push(acl);
        else i.literal.set(acl.resourceName, [acl]);
      }
    }
    this.index = index;
  }

  /** Every ACL whose pattern covers the resource. */
  private covering(r: Resource): Acl[] {
    const i = this.index.get(r.type);
    if (!i) return [];
    const found = [...(i.literal.get(r.name) ?? []), ...(r.name === WILDCARD ? [] : (i.literal.get(WILDCARD) ?? []))];
    for (const acl of i.prefixed) if (r.name.startsWith(acl.resourceName)) found.push(acl);
    return found;
  }

  authorize(ctx: RequestContext, operation: number, resource: Resource): boolean {
    if (this.superUsers.has(ctx.principal)) return true;
    const key = `${ctx.principal}\u0000${ctx.host}\u0000${operation}\u0000${resource.type}\u0000${resource.name}`;
    const known = this.decisions.get(key);
    if (known !== undefined) return known;
    const allowed = this.decide(ctx, operation, this.covering(resource));
    // Bounded: names come from clients, and a full cache starts over rather than grow.
    if (this.decisions.size >= MAX_CACHED_DECISIONS) this.decisions.clear();
    this.decisions.set(key, allowed);
    return allowed;
  }

  private decide(ctx: RequestContext, operation: number, acls: readonly Acl[]): boolean {
    if (acls.length === 0) return this.opts.allowEveryoneIfNoAclFound;
    let allowed = false;
    for (const acl of acls) {
      if (acl.principal !== ctx.principal && acl.principal !== WILDCARD_PRINCIPAL) continue;
      if (acl.host !== WILDCARD && acl.host !== ctx.host) continue;
      if (acl.permission === AclPermissionType.DENY) {
        if (denyDenies(acl.operation, operation)) return false;
      } else if (allowGrants(acl.operation, operation)) allowed = true;
    }
    return allowed;
  }

  authorizedOperations(ctx: RequestContext, resource: Resource): number {
    const ops = SUPPORTED_OPERATIONS[resource.type];
    if (!ops) return AUTHORIZED_OPERATIONS_OMITTED;
    if (this.superUsers.has(ctx.principal)) return bits(ops);
    const acls = this.covering(resource);
    return bits(ops.filter((op) => this.decide(ctx, op, acls)));
  }

  /**
   * Allowed on some resource of the type when an ALLOW for the principal covers any name and no
   * DENY covers every name (a literal * or an empty prefix), as Kafka's default implementation.
   */
  authorizeAny(ctx: RequestContext, operation: number, type: number): boolean {
    if (this.superUsers.has(ctx.principal)) return true;
    const i = this.index.get(type);
    if (!i) return this.opts.allowEveryoneIfNoAclFound;
    const mine = [...[...i.literal.values()].flat(), ...i.prefixed].filter((a) => (a.principal === ctx.principal || a.principal === WILDCARD_PRINCIPAL) && (a.host === WILDCARD || a.host === ctx.host));
    const deniedEverywhere = mine.some((a) => a.permission === AclPermissionType.DENY && denyDenies(a.operation, operation) && (a.patternType === PatternType.LITERAL ? a.resourceName === WILDCARD : a.resourceName === ""));
    if (deniedEverywhere) return false;
    return mine.some((a) => a.permission === AclPermissionType.ALLOW && allowGrants(a.operation, operation));
  }
}

