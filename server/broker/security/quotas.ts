import { ErrorCode, KafkaError } from "../../kafka/errors";

/**
 * Kafka's client quotas: byte rates for produce and fetch and a share of request handling time,
 * set per user, per client id or per (user, client id), each with a default entity.
 */
export const QUOTA_KEYS = ["producer_byte_rate", "consumer_byte_rate", "request_percentage"] as const;
export type QuotaKey = (typeof QUOTA_KEYS)[number];

/** The entity a quota is set on: a field absent is not part of it, null is that type's default entity. */
export interface QuotaEntity {
  user?: string | null;
  clientId?: string | null;
}

export interface QuotaEntry {
  entity: QuotaEntity;
  values: Partial<Record<QuotaKey, number>>;
}

export const ENTITY_USER = "user";
export const ENTITY_CLIENT_ID = "client-id";

export const sameEntity = (a: QuotaEntity, b: QuotaEntity) => a.user === b.user && a.clientId === b.clientId && ("user" in a) === ("user" in b) && ("clientId" in a) === ("clientId" in b);

/** The entity of an AlterClientQuotas/DescribeClientQuotas entry; INVALID_REQUEST for anything Kafka would refuse. */
export function entityOf(parts: readonly { entityType: string; entityName: string | null }[]): QuotaEntity {
  const e: QuotaEntity = {};
  for (const p of parts) {
    if (p.entityType === ENTITY_USER && !("user" in e)) e.user = p.entityName;
    else if (p.entityType === ENTITY_CLIENT_ID && !("clientId" in e)) e.clientId = p.entityName;
    else throw new KafkaError(ErrorCode.INVALID_REQUEST, `entity type '${p.entityType}' is unknown or given twice; this broker's quota entities are user and client-id`);
  }
  if (!("user" in e) && !("clientId" in e)) throw new KafkaError(ErrorCode.INVALID_REQUEST, "a quota entity names a user, a client-id or both");
  return e;
}

export function entityParts(e: QuotaEntity): { entityType: string; entityName: string | null }[] {
  const parts: { entityType: string; entityName: string | null }[] = [];
  if ("user" in e) parts.push({ entityType: ENTITY_USER, entityName: e.user ?? null });
  if ("clientId" in e) parts.push({ entityType: ENTITY_CLIENT_ID, entityName: e.clientId ?? null });
  return parts;
}

export function validateQuota(key: string, value: number): asserts key is QuotaKey {
  if (!(QUOTA_KEYS as readonly string[]).includes(key)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `unknown quota '${key}'; this broker has ${QUOTA_KEYS.join(", ")}`);
  if (!Number.isFinite(value) || value <= 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, `${key} must be a positive number, not ${value}`);
}

/**
 * Kafka's precedence, most specific first: (user, client id), (user, default client id), user,
 * (default user, client id), (default user, default client id), default user, client id,
 * default client id. Each quota key is looked up on its own.
 */
function precedence(user: string, clientId: string): QuotaEntity[] {
  return [
    { user, clientId },
    { user, clientId: null },
    { user },
    { user: null, clientId },
    { user: null, clientId: null },
    { user: null },
    { clientId },
    { clientId: null },
  ];
}

/** The quota that applies to a client and the key of the clients that share it (Kafka's metric tags). */
export interface AppliedQuota {
  limit: number;
  /** A quota set on a named entity is shared by all its clients; a default one is each entity's own. */
  shareKey: string;
}

export function resolveQuota(entries: readonly QuotaEntry[], key: QuotaKey, user: string, clientId: string): AppliedQuota | undefined {
  for (const wanted of precedence(user, clientId)) {
    const entry = entries.find((e) => sameEntity(e.entity, wanted));
    const limit = entry?.values[key];
    if (limit === undefined) continue;
    const userTag = "user" in wanted ? user : "";
    const clientTag = "clientId" in wanted ? clientId : "";
    return { limit, shareKey: `${userTag}\u0000${clientTag}` };
  }
  return undefined;
}

/** Kafka's quota.window.num and quota.window.size.seconds. */
export const QUOTA_SAMPLES = 11;
export const QUOTA_WINDOW_MS = 1000;
/** Kafka caps a throttle at the whole sampled window. */
export const MAX_THROTTLE_MS = QUOTA_SAMPLES * QUOTA_WINDOW_MS;

/**
 * A rate over QUOTA_SAMPLES windows of QUOTA_WINDOW_MS, measured as Kafka's Rate does: the
 * samples' total over their elapsed time, counted as at least QUOTA_SAMPLES - 1 whole windows,
 * so a client just starting is not throttled for its first burst.
 */
export class SampledRate {
  private starts: number[] = [];
  private values: number[] = [];

  record(value: number, now: number): void {
    const last = this.starts.length - 1;
    if (last >= 0 && now - this.starts[last] < QUOTA_WINDOW_MS) {
      this.values[last] += value;
    } else {
      this.starts.push(now);
      this.values.push(value);
    }
    this.expire(now);
  }

  /** Per second. */
  rate(now: number): number {
    this.expire(now);
    if (this.starts.length === 0) return 0;
    const elapsed = Math.max(now - this.starts[0], (QUOTA_SAMPLES - 1) * QUOTA_WINDOW_MS);
    return (this.values.reduce((a, b) => a + b, 0) * 1000) / elapsed;
  }

  /** How long nothing more may be recorded for the rate to come back to the limit (Kafka's QuotaUtils.throttleTime). */
  throttleMs(limit: number, now: number): number {
    const rate = this.rate(now);
    if (rate <= limit) return 0;
    const elapsed = Math.max(now - this.starts[0], (QUOTA_SAMPLES - 1) * QUOTA_WINDOW_MS);
    return Math.min(MAX_THROTTLE_MS, Math.round(((rate - limit) / limit) * elapsed));
  }

  private expire(now: number): void {
    const horizon = now - QUOTA_SAMPLES * QUOTA_WINDOW_MS;
    let drop = 0;
    while (drop < this.starts.length && this.starts[drop] + QUOTA_WINDOW_MS <= horizon) drop++;
    if (drop) {
      this.starts.splice(0, drop);
      this.values.splice(0, drop);
    }
  }
}

/** Rates kept per shared quota; forgotten after a whole window without use, so clients cannot grow the map without bound. */
export class QuotaManager {
  private rates = new Map<string, { rate: SampledRate; lastUsed: number }>();
  private lastSweep = 0;

  constructor(private entries: () => readonly QuotaEntry[]) {}

  /** Whether any quota is set: without one, requests are not counted at all. */
  get any(): boolean {
    return this.entries().length > 0;
  }

  /**
   * Records `value` (bytes, or ms of handling time) against the client's quota of `key` and
   * returns how long to throttle it, 0 when within its quota or when it has none.
   */
  record(key: QuotaKey, user: string, clientId: string, value: number, now = Date.now()): number {
    const q = resolveQuota(this.entries(), key, user, clientId);
    if (!q) return 0;
    const id = `${key}\u0000${q.shareKey}`;
    let r = this.rates.get(id);
    if (!r) {
      this.sweep(now);
      r = { rate: new SampledRate(), lastUsed: now };
      this.rates.set(id, r);
    }
    r.lastUsed = now;
    // request_percentage is a share of one second: a limit of 50 is 500 ms of handling per second.
    const limit = key === "request_percentage" ? q.limit * 10 : q.limit;
    r.rate.record(value, now);
    return r.rate.throttleMs(limit, now);
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < QUOTA_WINDOW_MS) return;
    this.lastSweep = now;
    for (const [id, r] of this.rates) if (now - r.lastUsed > MAX_THROTTLE_MS) this.rates.delete(id);
  }
}
