import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, lt } from "drizzle-orm";
import type { Db } from "@/db/client";
import { sessions, users } from "@/db/schema";
import { logger } from "../log";
import type { UserRow } from "./users";

const log = logger("control.sessions");

export const SESSION_COOKIE = "tributary_session";
/** Sessions last a working week; a login renews nothing else. */
export const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;
/** Expired sessions are no use to anyone; an hourly sweep keeps the table to live ones. */
export const SESSION_PURGE_INTERVAL_MS = 3600 * 1000;

const digest = (token: string) => createHash("sha256").update(token).digest("hex");

export async function createSession(db: Db, userId: number, meta: { clientAddress?: string; userAgent?: string }): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  await db.insert(sessions).values({ id: digest(token), userId, expiresAt, clientAddress: meta.clientAddress, userAgent: meta.userAgent });
  return { token, expiresAt };
}

/** The user behind a cookie token, if the session is live and the user is not disabled. */
export async function resolveSession(db: Db, token: string | undefined): Promise<UserRow | undefined> {
  if (!token) return undefined;
  const [row] = await db
    .select({ user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, digest(token)), gt(sessions.expiresAt, new Date())));
  return row && !row.user.disabled ? row.user : undefined;
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, digest(token)));
}

/** Logs a user out everywhere: after a password reset or when disabled. */
export async function deleteUserSessions(db: Db, userId: number): Promise<void> {
  await db.delete(sessions).where(eq(sessions.userId, userId));
}

export async function purgeExpiredSessions(db: Db): Promise<number> {
  const rows = await db.delete(sessions).where(lt(sessions.expiresAt, new Date())).returning({ id: sessions.id });
  return rows.length;
}

/** Purges expired sessions now and then every `everyMs`; stop() waits for a sweep under way. */
export function startSessionPurge(db: Db, everyMs = SESSION_PURGE_INTERVAL_MS): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const sweep = () => {
    running = purgeExpiredSessions(db).then(
      (n) => void (n && log.info({ purged: n }, "purged expired sessions")),
      (err: unknown) => log.error({ err }, "purging expired sessions failed; retrying at the next sweep"),
    );
  };
  sweep();
  const timer = setInterval(sweep, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/** Cookies by name. A value that is not valid percent-encoding is skipped: a garbled cookie is no cookie. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const k = part.slice(0, eq).trim();
    if (!k) continue;
    try {
      out[k] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      continue;
    }
  }
  return out;
}

const attributes = (secure: boolean) => `Path=/; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;

export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  return `${SESSION_COOKIE}=${token}; ${attributes(secure)}; Expires=${expiresAt.toUTCString()}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; ${attributes(secure)}; Max-Age=0`;
}
