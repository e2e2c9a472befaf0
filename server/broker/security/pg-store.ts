import { and, eq, sql } from "drizzle-orm";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { clusterAcls, clusterClientQuotas, clusterInternalUsers, clusterScramCredentials, clusterSecurity } from "@/db/schema";
import { ErrorCode, KafkaError } from "../../kafka/errors";
import { logger } from "../../log";
import { aclKey, type Acl } from "./acl";
import type { QuotaEntity, QuotaEntry } from "./quotas";
import type { StoredScramCredential } from "./scram";
import type { SecurityState, SecurityStore } from "./store";

const log = logger("broker.security");

/** Announced (at commit) after every change; the payload is the new version. */
export const SECURITY_CHANNEL = "tributary_security";
/** The bound on how late a change applies when a notification is lost (a reconnect drops them). */
const DEFAULT_POLL_MS = 1000;
const RECONNECT_DELAY_SECONDS = 0.2;

type Db = PostgresJsDatabase;
type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

interface ScramRow extends StoredScramCredential {
  username: string;
  mechanism: string;
}

/** The entity as stored: user before clientId, absent keys left out, so equal entities are equal JSON. */
const canonicalEntity = (e: QuotaEntity): QuotaEntity => ({ ...("user" in e ? { user: e.user ?? null } : {}), ...("clientId" in e ? { clientId: e.clientId ?? null } : {}) });
const entityKey = (e: QuotaEntity) => JSON.stringify(canonicalEntity(e));
const scramRows = (s: SecurityState["scram"]): ScramRow[] => Object.entries(s).flatMap(([username, byMechanism]) => Object.entries(byMechanism).map(([mechanism, c]) => ({ username, mechanism, ...c })));

/** What to delete and what to write (new or changed) to go from `before` to `after`. */
function diff<T>(before: readonly T[], after: readonly T[], key: (t: T) => string): { removed: T[]; written: T[] } {
  const old = new Map(before.map((t) => [key(t), JSON.stringify(t)]));
  const next = new Set(after.map(key));
  return { removed: before.filter((t) => !next.has(key(t))), written: after.filter((t) => old.get(key(t)) !== JSON.stringify(t)) };
}

/**
 * A cluster's security metadata in its Postgres (the cluster_security, cluster_acls,
 * cluster_scram_credentials and cluster_client_quotas tables). A change is one transaction that
 * locks the version row, applies the change to what the database holds (not to this broker's
 * copy, so two brokers' changes never overwrite each other), writes the difference and bumps the
 * version. Every broker re-reads on the NOTIFY and, should one be lost, on a poll of the version.
 */
export class PgSecurityStore implements SecurityStore {
  private current: SecurityState;
  private version: number;
  private listeners: ((s: SecurityState) => void)[] = [];
  private refreshing: Promise<void> | undefined;
  private again = false;
  private unreachableSince: number | undefined;
  private poll: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;

  private constructor(
    private readonly client: postgres.Sql,
    private readonly db: Db,
    loaded: { state: SecurityState; version: number },
  ) {
    this.current = loaded.state;
    this.version = loaded.version;
  }

  static async open(url: string, opts: { pollMs?: number } = {}): Promise<PgSecurityStore> {
    const client = postgres(url, { max: 2, connect_timeout: 3, backoff: () => RECONNECT_DELAY_SECONDS, idle_timeout: 60, onnotice: () => {} });
    try {
      const db = drizzle(client);
      await db.insert(clusterSecurity).values({ id: 1 }).onConflictDoNothing();
      const store = new PgSecurityStore(client, db, await read(db));
      const sub = await client.listen(SECURITY_CHANNEL, () => store.refresh());
      store.unlisten = () => sub.unlisten();
      store.poll = setInterval(() => store.refresh(), opts.pollMs ?? DEFAULT_POLL_MS);
      store.poll.unref();
      return store;
    } catch (err) {
      await client.end({ timeout: 1 });
      throw err;
    }
  }

  get state(): SecurityState {
    return this.current;
  }

  onChange(listener: (s: SecurityState) => void): void {
    this.listeners.push(listener);
  }

  async update(change: (s: SecurityState) => SecurityState): Promise<void> {
    let committed: { state: SecurityState; version: number };
    try {
      committed = await this.db.transaction(async (tx) => {
        const [row] = await tx.select().from(clusterSecurity).where(eq(clusterSecurity.id, 1)).for("update");
        const before = await readRows(tx, row.seeded);
        const after = change(before);
        await write(tx, before, after);
        const [bumped] = await tx
          .update(clusterSecurity)
          .set({ version: sql`${clusterSecurity.version} + 1`, seeded: after.seeded })
          .where(eq(clusterSecurity.id, 1))
          .returning({ version: clusterSecurity.version });
        await tx.execute(sql`select pg_notify(${SECURITY_CHANNEL}, ${String(bumped.version)})`);
        return { state: after, version: bumped.version };
      });
    } catch (err) {
      throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `the cluster's database is unreachable, so security metadata cannot be changed now; retry (${(err as Error).message})`);
    }
    this.install(committed);
  }

  async close(): Promise<void> {
    clearInterval(this.poll);
    await this.unlisten?.().catch(() => undefined);
    await this.refreshing;
    await this.client.end({ timeout: 2 });
  }

  /** Re-reads when the version moved; calls made while a read runs coalesce into one more read. */
  private refresh(): void {
    if (this.refreshing) {
      this.again = true;
      return;
    }
    this.refreshing = this.reload().finally(() => {
      this.refreshing = undefined;
      if (this.again) {
        this.again = false;
        this.refresh();
      }
    });
  }

  private async reload(): Promise<void> {
    try {
      const [row] = await this.db.select({ version: clusterSecurity.version }).from(clusterSecurity).where(eq(clusterSecurity.id, 1));
      if (row && row.version !== this.version) this.install(await read(this.db));
      if (this.unreachableSince !== undefined) log.info({ unreachableMs: Date.now() - this.unreachableSince }, "security metadata readable again");
      this.unreachableSince = undefined;
    } catch (err) {
      // The last state keeps applying; logged once per outage.
      if (this.unreachableSince === undefined) log.warn({ err: (err as Error).message }, "cannot read the cluster's security metadata; the last ACLs, credentials and quotas keep applying");
      this.unreachableSince ??= Date.now();
    }
  }

  /** Only ever moves forward: a slow read of an older version never replaces a newer one. */
  private install(loaded: { state: SecurityState; version: number }): void {
    if (loaded.version <= this.version) return;
    this.current = loaded.state;
    this.version = loaded.version;
    for (const l of this.listeners) l(loaded.state);
  }
}

function read(db: Db): Promise<{ state: SecurityState; version: number }> {
  return db.transaction(
    async (tx) => {
      const [row] = await tx.select().from(clusterSecurity).where(eq(clusterSecurity.id, 1));
      return { state: await readRows(tx, row.seeded), version: row.version };
    },
    // ACLs, credentials and quotas of one version together.
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}

async function readRows(tx: Tx, seeded: boolean): Promise<SecurityState> {
  const acls: Acl[] = await tx.select().from(clusterAcls);
  const scram: SecurityState["scram"] = {};
  for (const { username, mechanism, ...c } of await tx.select().from(clusterScramCredentials)) (scram[username] ??= {})[mechanism] = c;
  const quotas: QuotaEntry[] = (await tx.select().from(clusterClientQuotas)).map((q) => ({ entity: q.entity, values: q.values }));
  const internal: SecurityState["internal"] = {};
  for (const { nodeId, username, credentials } of await tx.select().from(clusterInternalUsers)) internal[nodeId] = { username, credentials };
  return { acls, scram, quotas, seeded, internal };
}

async function write(tx: Tx, before: SecurityState, after: SecurityState): Promise<void> {
  const acls = diff(before.acls, after.acls, aclKey);
  for (const a of acls.removed) {
    await tx
      .delete(clusterAcls)
      .where(and(eq(clusterAcls.resourceType, a.resourceType), eq(clusterAcls.resourceName, a.resourceName), eq(clusterAcls.patternType, a.patternType), eq(clusterAcls.principal, a.principal), eq(clusterAcls.host, a.host), eq(clusterAcls.operation, a.operation), eq(clusterAcls.permission, a.permission)));
  }
  if (acls.written.length) await tx.insert(clusterAcls).values(acls.written).onConflictDoNothing();

  const scram = diff(scramRows(before.scram), scramRows(after.scram), (r) => `${r.mechanism}\u0000${r.username}`);
  for (const r of scram.removed) await tx.delete(clusterScramCredentials).where(and(eq(clusterScramCredentials.username, r.username), eq(clusterScramCredentials.mechanism, r.mechanism)));
  for (const r of scram.written) {
    await tx
      .insert(clusterScramCredentials)
      .values(r)
      .onConflictDoUpdate({ target: [clusterScramCredentials.username, clusterScramCredentials.mechanism], set: { salt: r.salt, iterations: r.iterations, storedKey: r.storedKey, serverKey: r.serverKey } });
  }

  const quotas = diff(before.quotas, after.quotas, (q) => entityKey(q.entity));
  for (const q of quotas.removed) await tx.delete(clusterClientQuotas).where(sql`${clusterClientQuotas.entity} = ${entityKey(q.entity)}::jsonb`);
  for (const q of quotas.written) {
    const entity = canonicalEntity(q.entity);
    await tx.insert(clusterClientQuotas).values({ entity, values: q.values }).onConflictDoUpdate({ target: clusterClientQuotas.entity, set: { values: q.values } });
  }

  const logins = (s: SecurityState) => Object.entries(s.internal).map(([nodeId, l]) => ({ nodeId: Number(nodeId), ...l }));
  const internal = diff(logins(before), logins(after), (l) => String(l.nodeId));
  for (const l of internal.removed) await tx.delete(clusterInternalUsers).where(eq(clusterInternalUsers.nodeId, l.nodeId));
  for (const l of internal.written) {
    await tx.insert(clusterInternalUsers).values(l).onConflictDoUpdate({ target: clusterInternalUsers.nodeId, set: { username: l.username, credentials: l.credentials } });
  }
}
