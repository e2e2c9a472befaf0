import { AclOperation, AclPermissionType, AclResourceType, PatternType, QuotaMatchType } from "../../kafka/constants";
import { codeOf, ErrorCode, KafkaError } from "../../kafka/errors";
import type { RequestOf, ResponseInputOf } from "../../kafka/protocol";
import { logger } from "../../log";
import { aclKey, filterMatches, isCode, principalOf, validateAcl, type Acl, type AclFilter } from "./acl";
import { AclAuthorizer, ALLOW_ALL, type Authorizer } from "./authorizer";
import { entityOf, entityParts, QuotaManager, sameEntity, validateQuota, type QuotaEntity, type QuotaEntry, type QuotaKey } from "./quotas";
import { credentialFromPassword, credentialFromSaltedPassword, loadCredential, MECHANISM_CODES, mechanismOfCode, passwordMatches, SCRAM_MECHANISMS, storeCredential, type ScramCredential, type ScramMechanismName } from "./scram";
import type { SecurityState, SecurityStore } from "./store";

const log = logger("broker.security");

export interface SecurityOptions {
  /** `--authorizer`: none allows everything (and the ACL APIs answer SECURITY_DISABLED); acl checks Kafka's ACLs. */
  authorizer: "none" | "acl";
  /** `--super-users`, as principals (User:alice). */
  superUsers?: readonly string[];
  allowEveryoneIfNoAclFound?: boolean;
  /** `--sasl-users`: turned into SCRAM credentials the first time the store is opened, never again. */
  seedUsers?: Record<string, string>;
}

/** This process's own login (the console, lag sampler, embedded agents): in memory only, and a super user. */
export interface InternalUser {
  username: string;
  password: string;
}

const SECURITY_DISABLED = "no authorizer is configured on the broker: start it with --authorizer acl";

/**
 * The broker's security: the authorizer over the stored ACLs, SCRAM credentials for SASL, client
 * quotas, and the admin APIs that change them. Every change goes through the store and applies
 * from its change event, so a change made on another broker of a cluster applies the same way.
 */
export class BrokerSecurity {
  readonly authorizer: Authorizer;
  readonly quotas: QuotaManager;
  private scram = new Map<string, ScramCredential>();
  private own: { user: InternalUser; credentials: Map<ScramMechanismName, ScramCredential> } | undefined;
  /** Every internal user this broker accepts (its own and, in a cluster, the other brokers'), by name then mechanism. */
  private internal = new Map<string, Map<string, ScramCredential>>();

  private constructor(
    private store: SecurityStore,
    private opts: SecurityOptions,
  ) {
    this.authorizer = opts.authorizer === "acl" ? new AclAuthorizer({ superUsers: opts.superUsers ?? [], allowEveryoneIfNoAclFound: opts.allowEveryoneIfNoAclFound ?? false }) : ALLOW_ALL;
    this.quotas = new QuotaManager(() => this.store.state.quotas);
    store.onChange((s) => this.apply(s));
    this.apply(store.state);
  }

  static async open(store: SecurityStore, opts: SecurityOptions): Promise<BrokerSecurity> {
    const security = new BrokerSecurity(store, opts);
    const seed = opts.seedUsers ?? {};
    if (!store.state.seeded && Object.keys(seed).length) {
      let seededHere = false;
      await store.update((s) => {
        // Another broker of the cluster may have seeded meanwhile: its credentials stand.
        if (s.seeded) return s;
        seededHere = true;
        const scram = { ...s.scram };
        for (const [user, password] of Object.entries(seed)) scram[user] = Object.fromEntries(SCRAM_MECHANISMS.map((m) => [m, storeCredential(credentialFromPassword(m, password))]));
        return { ...s, scram, seeded: true };
      });
      if (seededHere) log.info({ users: Object.keys(seed).length }, "SASL users from --sasl-users stored as SCRAM credentials; from now on manage them with AlterUserScramCredentials");
    } else if (Object.keys(seed).length) {
      log.info("--sasl-users was applied at first start; stored credentials are used (manage them with AlterUserScramCredentials)");
    }
    return security;
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private apply(s: SecurityState): void {
    if (this.authorizer instanceof AclAuthorizer) this.authorizer.setAcls(s.acls);
    this.applyInternal(s);
    const scram = new Map<string, ScramCredential>();
    for (const [user, byMechanism] of Object.entries(s.scram)) for (const [m, c] of Object.entries(byMechanism)) scram.set(`${m}\u0000${user}`, loadCredential(c));
    this.scram = scram;
  }

  /** Makes the process's own user known to SASL and a super user; only a cluster's brokers share it (see shareInternalUser). */
  addInternalUser(user: InternalUser): void {
    this.own = { user, credentials: new Map(SCRAM_MECHANISMS.map((m) => [m, credentialFromPassword(m, user.password)])) };
    this.applyInternal(this.store.state);
  }

  /**
   * In a cluster this process's clients reach every broker (a partition's leader may be any), so
   * its internal user is stored, as SCRAM credentials, under its node id: replacing the one of its
   * previous start, and accepted as a super user by every broker.
   */
  async shareInternalUser(nodeId: number): Promise<void> {
    const own = this.own;
    if (!own) return;
    const login = { username: own.user.username, credentials: Object.fromEntries([...own.credentials].map(([m, c]) => [m, storeCredential(c)])) };
    await this.store.update((s) => ({ ...s, internal: { ...s.internal, [nodeId]: login } }));
  }

  private applyInternal(s: SecurityState): void {
    const internal = new Map<string, Map<string, ScramCredential>>();
    for (const login of Object.values(s.internal)) internal.set(login.username, new Map(Object.entries(login.credentials).map(([m, c]) => [m, loadCredential(c)])));
    if (this.own) internal.set(this.own.user.username, this.own.credentials);
    this.internal = internal;
    if (this.authorizer instanceof AclAuthorizer) this.authorizer.setInternalSuperUsers([...internal.keys()].map(principalOf));
  }

  // ---- SASL ----
  scramCredential(m: ScramMechanismName, user: string): ScramCredential | undefined {
    const internal = this.internal.get(user);
    if (internal) return internal.get(m);
    return this.scram.get(`${m}\u0000${user}`);
  }

  /** PLAIN logins are checked against the SCRAM credential: no password is kept anywhere. */
  checkPlain(user: string, password: string): boolean {
    for (const m of SCRAM_MECHANISMS) {
      const c = this.scramCredential(m, user);
      if (c) return passwordMatches(m, c, password);
    }
    return false;
  }

  // ---- ACLs ----
  async createAcls(req: RequestOf<"CreateAcls">): Promise<ResponseInputOf<"CreateAcls">> {
    if (!this.authorizer.enabled) return { results: req.creations.map(() => ({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: SECURITY_DISABLED })) };
    const checked = req.creations.map((c): Acl | KafkaError => {
      const acl: Acl = { resourceType: c.resourceType, resourceName: c.resourceName, patternType: c.resourcePatternType, principal: c.principal, host: c.host, operation: c.operation, permission: c.permissionType };
      try {
        validateAcl(acl);
        return acl;
      } catch (err) {
        return err instanceof KafkaError ? err : new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, String(err));
      }
    });
    const valid = checked.filter((c): c is Acl => !(c instanceof KafkaError));
    let stored: KafkaError | undefined;
    if (valid.length) {
      try {
        await this.store.update((s) => {
          const have = new Set(s.acls.map(aclKey));
          // Creating an ACL that exists already succeeds and changes nothing, as in Kafka.
          const added = valid.filter((a) => !have.has(aclKey(a)) && have.add(aclKey(a)));
          return { ...s, acls: [...s.acls, ...added] };
        });
        log.info({ acls: valid.length }, "ACLs created");
      } catch (err) {
        stored = err instanceof KafkaError ? err : new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, String(err));
      }
    }
    return {
      results: checked.map((c) => {
        const e = c instanceof KafkaError ? c : stored;
        return e ? { errorCode: e.code, errorMessage: e.message } : { errorCode: ErrorCode.NONE, errorMessage: null };
      }),
    };
  }

  describeAcls(req: RequestOf<"DescribeAcls">): ResponseInputOf<"DescribeAcls"> {
    if (!this.authorizer.enabled) return { errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: SECURITY_DISABLED, resources: [] };
    const filter = toFilter(req);
    const invalid = filterError(filter);
    if (invalid) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: invalid, resources: [] };
    const byResource = new Map<string, { resourceType: number; resourceName: string; patternType: number; acls: { principal: string; host: string; operation: number; permissionType: number }[] }>();
    for (const acl of this.store.state.acls) {
      if (!filterMatches(filter, acl)) continue;
      const key = `${acl.resourceType}\u0000${acl.patternType}\u0000${acl.resourceName}`;
      let r = byResource.get(key);
      if (!r) byResource.set(key, (r = { resourceType: acl.resourceType, resourceName: acl.resourceName, patternType: acl.patternType, acls: [] }));
      r.acls.push({ principal: acl.principal, host: acl.host, operation: acl.operation, permissionType: acl.permission });
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, resources: [...byResource.values()] };
  }

  async deleteAcls(req: RequestOf<"DeleteAcls">): Promise<ResponseInputOf<"DeleteAcls">> {
    if (!this.authorizer.enabled) return { filterResults: req.filters.map(() => ({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: SECURITY_DISABLED, matchingAcls: [] })) };
    const filters = req.filters.map(toFilter);
    const matched: Acl[][] = filters.map(() => []);
    let failure: KafkaError | undefined;
    try {
      await this.store.update((s) => {
        const kept = s.acls.filter((acl) => {
          let hit = false;
          filters.forEach((f, i) => {
            if (!filterError(f) && filterMatches(f, acl)) {
              matched[i].push(acl);
              hit = true;
            }
          });
          return !hit;
        });
        return { ...s, acls: kept };
      });
    } catch (err) {
      failure = err instanceof KafkaError ? err : new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, String(err));
    }
    return {
      filterResults: filters.map((f, i) => {
        const invalid = filterError(f);
        if (invalid) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: invalid, matchingAcls: [] };
        if (failure) return { errorCode: failure.code, errorMessage: failure.message, matchingAcls: [] };
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          matchingAcls: matched[i].map((a) => ({ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: a.resourceType, resourceName: a.resourceName, patternType: a.patternType, principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permission })),
        };
      }),
    };
  }

  // ---- SCRAM credentials ----
  describeUserScramCredentials(req: RequestOf<"DescribeUserScramCredentials">): ResponseInputOf<"DescribeUserScramCredentials"> {
    const stored = this.store.state.scram;
    const info = (user: string) => SCRAM_MECHANISMS.filter((m) => stored[user]?.[m]).map((m) => ({ mechanism: MECHANISM_CODES[m], iterations: stored[user][m].iterations }));
    if (!req.users || req.users.length === 0) {
      return { errorCode: ErrorCode.NONE, errorMessage: null, results: Object.keys(stored).sort().map((user) => ({ user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: info(user) })) };
    }
    const seen = new Map<string, number>();
    for (const u of req.users) seen.set(u.name, (seen.get(u.name) ?? 0) + 1);
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      results: [...seen].map(([user, count]) => {
        if (count > 1) return { user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`, credentialInfos: [] };
        const infos = info(user);
        if (!infos.length) return { user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] };
        return { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos };
      }),
    };
  }

  async alterUserScramCredentials(req: RequestOf<"AlterUserScramCredentials">): Promise<ResponseInputOf<"AlterUserScramCredentials">> {
    const users = [...new Set([...req.deletions.map((d) => d.name), ...req.upsertions.map((u) => u.name)])];
    const errors = new Map<string, KafkaError>();
    const fail = (user: string, code: number, message: string) => errors.has(user) || errors.set(user, new KafkaError(code, message));
    const state = this.store.state.scram;
    const seen = new Set<string>();
    const deletions: { user: string; m: ScramMechanismName }[] = [];
    const upsertions: { user: string; m: ScramMechanismName; credential: ScramCredential }[] = [];
    for (const d of req.deletions) {
      const m = mechanismOfCode(d.mechanism);
      if (!d.name) fail(d.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, "the user name is empty");
      else if (!m) fail(d.name, ErrorCode.UNSUPPORTED_SASL_MECHANISM, `unknown SCRAM mechanism ${d.mechanism} (1 SCRAM-SHA-256, 2 SCRAM-SHA-512)`);
      else if (seen.has(`${m}\u0000${d.name}`)) fail(d.name, ErrorCode.DUPLICATE_RESOURCE, `a credential of ${d.name} for ${m} is changed twice in one request`);
      else if (!state[d.name]?.[m]) fail(d.name, ErrorCode.RESOURCE_NOT_FOUND, `Attempt to delete a user credential that does not exist: ${d.name} ${m}`);
      else deletions.push({ user: d.name, m });
      if (m) seen.add(`${m}\u0000${d.name}`);
    }
    for (const u of req.upsertions) {
      const m = mechanismOfCode(u.mechanism);
      if (!u.name) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, "the user name is empty");
      else if (!m) fail(u.name, ErrorCode.UNSUPPORTED_SASL_MECHANISM, `unknown SCRAM mechanism ${u.mechanism} (1 SCRAM-SHA-256, 2 SCRAM-SHA-512)`);
      else if (seen.has(`${m}\u0000${u.name}`)) fail(u.name, ErrorCode.DUPLICATE_RESOURCE, `a credential of ${u.name} for ${m} is changed twice in one request`);
      else if (this.internal.has(u.name)) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, "this name is the broker's internal user");
      else {
        try {
          upsertions.push({ user: u.name, m, credential: credentialFromSaltedPassword(m, u.salt, u.saltedPassword, u.iterations) });
        } catch (err) {
          fail(u.name, codeOf(err), (err as Error).message);
        }
      }
      if (m) seen.add(`${m}\u0000${u.name}`);
    }
    // A user with any failed change gets none of them applied, as in Kafka.
    const ok = (user: string) => !errors.has(user);
    const apply = { deletions: deletions.filter((d) => ok(d.user)), upsertions: upsertions.filter((u) => ok(u.user)) };
    if (apply.deletions.length || apply.upsertions.length) {
      try {
        await this.store.update((s) => {
          const scram = { ...s.scram };
          for (const d of apply.deletions) {
            const { [d.m]: _gone, ...rest } = scram[d.user] ?? {};
            if (Object.keys(rest).length) scram[d.user] = rest;
            else delete scram[d.user];
          }
          for (const u of apply.upsertions) scram[u.user] = { ...scram[u.user], [u.m]: storeCredential(u.credential) };
          return { ...s, scram };
        });
        log.info({ changed: apply.deletions.length + apply.upsertions.length }, "SCRAM credentials changed");
      } catch (err) {
        for (const u of users) if (ok(u)) fail(u, codeOf(err), (err as Error).message);
      }
    }
    return { results: users.map((user) => ({ user, errorCode: errors.get(user)?.code ?? ErrorCode.NONE, errorMessage: errors.get(user)?.message ?? null })) };
  }

  // ---- client quotas ----
  describeClientQuotas(req: RequestOf<"DescribeClientQuotas">): ResponseInputOf<"DescribeClientQuotas"> {
    const types = new Set<string>();
    for (const c of req.components) {
      if (c.entityType !== "user" && c.entityType !== "client-id") return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `unknown entity type '${c.entityType}'`, entries: null };
      if (types.has(c.entityType)) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `entity type '${c.entityType}' is given twice`, entries: null };
      if (c.matchType !== QuotaMatchType.EXACT && c.matchType !== QuotaMatchType.DEFAULT && c.matchType !== QuotaMatchType.SPECIFIED) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `unknown match type ${c.matchType}`, entries: null };
      types.add(c.entityType);
    }
    const field = (type: string): keyof QuotaEntity => (type === "user" ? "user" : "clientId");
    const matches = (e: QuotaEntity) =>
      req.components.every((c) => {
        const k = field(c.entityType);
        if (!(k in e)) return false;
        const name = e[k] ?? null;
        return c.matchType === QuotaMatchType.EXACT ? name === c.match : c.matchType === QuotaMatchType.DEFAULT ? name === null : name !== null;
      }) && (!req.strict || Object.keys(e).every((k) => req.components.some((c) => field(c.entityType) === k)));
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      entries: this.store.state.quotas.filter((q) => matches(q.entity)).map((q) => ({ entity: entityParts(q.entity), values: Object.entries(q.values).map(([key, value]) => ({ key, value })) })),
    };
  }

  async alterClientQuotas(req: RequestOf<"AlterClientQuotas">): Promise<ResponseInputOf<"AlterClientQuotas">> {
    type Change = { entity: QuotaEntity; ops: { key: QuotaKey; value: number; remove: boolean }[] };
    const checked = req.entries.map((e): Change | KafkaError => {
      try {
        const entity = entityOf(e.entity);
        const ops = e.ops.map(({ key, value, remove }) => {
          validateQuota(key, remove ? 1 : value);
          return { key, value, remove };
        });
        return { entity, ops };
      } catch (err) {
        return err instanceof KafkaError ? err : new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, String(err));
      }
    });
    const valid = checked.filter((c): c is Change => !(c instanceof KafkaError));
    let failure: KafkaError | undefined;
    if (valid.length && !req.validateOnly) {
      try {
        await this.store.update((s) => {
          let quotas: QuotaEntry[] = s.quotas;
          for (const { entity, ops } of valid) {
            const old = quotas.find((q) => sameEntity(q.entity, entity));
            const values = { ...old?.values };
            for (const op of ops) {
              if (op.remove) delete values[op.key];
              else values[op.key] = op.value;
            }
            quotas = quotas.filter((q) => q !== old);
            if (Object.keys(values).length) quotas = [...quotas, { entity, values }];
          }
          return { ...s, quotas };
        });
        log.info({ entries: valid.length }, "client quotas changed");
      } catch (err) {
        failure = err instanceof KafkaError ? err : new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, String(err));
      }
    }
    return {
      entries: req.entries.map((e, i) => {
        const c = checked[i];
        const err = c instanceof KafkaError ? c : failure;
        return { errorCode: err?.code ?? ErrorCode.NONE, errorMessage: err?.message ?? null, entity: e.entity };
      }),
    };
  }
}

function toFilter(f: RequestOf<"DescribeAcls"> | RequestOf<"DeleteAcls">["filters"][number]): AclFilter {
  return { resourceType: f.resourceTypeFilter, resourceName: f.resourceNameFilter, patternType: f.patternTypeFilter, principal: f.principalFilter, host: f.hostFilter, operation: f.operation, permission: f.permissionType };
}

/** Why Kafka would refuse the filter, or null. */
function filterError(f: AclFilter): string | null {
  if (f.resourceType === AclResourceType.UNKNOWN || !isCode(AclResourceType, f.resourceType)) return `unknown resource type ${f.resourceType}`;
  if (f.patternType === PatternType.UNKNOWN || !isCode(PatternType, f.patternType)) return `unknown pattern type ${f.patternType}`;
  if (f.operation === AclOperation.UNKNOWN || !isCode(AclOperation, f.operation)) return `unknown operation ${f.operation}`;
  if (f.permission === AclPermissionType.UNKNOWN || !isCode(AclPermissionType, f.permission)) return `unknown permission type ${f.permission}`;
  return null;
}
