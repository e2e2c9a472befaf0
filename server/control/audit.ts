import { and, desc, eq, gte, ilike, lt, lte, type SQL } from "drizzle-orm";
import type { Db } from "@/db/client";
import { auditEvents, type AuditOutcome } from "@/db/schema";
import { redactDetails } from "./secrets";

export interface AuditEvent {
  actor: string;
  action: string;
  targetKind?: string;
  target?: string;
  details?: Record<string, unknown>;
  outcome: AuditOutcome;
  requestId: string;
  clientAddress?: string;
}

export async function writeAudit(db: Db, e: AuditEvent): Promise<void> {
  const row = withoutNul({ ...e, details: e.details ?? {} }) as AuditEvent & { details: Record<string, unknown> };
  await db.insert(auditEvents).values(row);
}

function isPlain(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Postgres refuses NUL in text and in jsonb strings ("unsupported Unicode escape sequence"), and
 * details carry whatever a caller typed (a record key, a topic filter). Writing the six characters
 * `\u0000` instead keeps what was sent readable in the trail, rather than losing the event.
 */
function withoutNul(v: unknown): unknown {
  if (typeof v === "string") return v.replaceAll("\0", "\\u0000");
  if (Array.isArray(v)) return v.map(withoutNul);
  // Only plain objects are rebuilt: a Date or Buffer keeps its own JSON form.
  if (v !== null && typeof v === "object" && isPlain(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [withoutNul(k), withoutNul(x)]));
  return v;
}

export interface AuditQuery {
  limit: number;
  cursor?: number;
  actor?: string;
  action?: string;
  target?: string;
  outcome?: AuditOutcome;
  from?: Date;
  to?: Date;
}

/** Newest first, keyset-paginated on id so deep pages cost the same as the first. */
export async function listAudit(db: Db, q: AuditQuery) {
  const where: SQL[] = [];
  if (q.cursor !== undefined) where.push(lt(auditEvents.id, q.cursor));
  if (q.actor) where.push(eq(auditEvents.actor, q.actor));
  if (q.action) where.push(ilike(auditEvents.action, `%${escapeLike(q.action)}%`));
  if (q.target) where.push(ilike(auditEvents.target, `%${escapeLike(q.target)}%`));
  if (q.outcome) where.push(eq(auditEvents.outcome, q.outcome));
  if (q.from) where.push(gte(auditEvents.at, q.from));
  if (q.to) where.push(lte(auditEvents.at, q.to));
  const rows = await db
    .select()
    .from(auditEvents)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(auditEvents.id))
    .limit(q.limit + 1);
  const more = rows.length > q.limit;
  // Redacted again on the way out: rows written before a property was marked secret may hold it.
  const items = rows.slice(0, q.limit).map((r) => ({ ...r, details: redactDetails(r.details) as Record<string, unknown>, at: r.at.toISOString() }));
  return { items, nextCursor: more ? items[items.length - 1].id : null };
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
