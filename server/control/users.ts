import { asc, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { users, type Role } from "@/db/schema";
import { generatePassword, hashPassword } from "./passwords";

export type UserRow = typeof users.$inferSelect;

/** What the API returns: never the password hash. */
export function publicUser(u: UserRow) {
  return { id: u.id, username: u.username, role: u.role, disabled: u.disabled, createdAt: u.createdAt.toISOString() };
}

export class UserExistsError extends Error {
  constructor(username: string) {
    super(`A user named "${username}" already exists; pick another name.`);
  }
}

export async function findUserByName(db: Db, username: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.username, username));
  return row;
}

export async function findUser(db: Db, id: number): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row;
}

export async function listUsers(db: Db): Promise<UserRow[]> {
  return db.select().from(users).orderBy(asc(users.username));
}

export async function createUser(db: Db, input: { username: string; password: string; role: Role }): Promise<UserRow> {
  const passwordHash = await hashPassword(input.password);
  const [row] = await db
    .insert(users)
    .values({ username: input.username, passwordHash, role: input.role })
    .onConflictDoNothing({ target: users.username })
    .returning();
  if (!row) throw new UserExistsError(input.username);
  return row;
}

export async function updateUser(db: Db, id: number, patch: { role?: Role; disabled?: boolean; password?: string }): Promise<UserRow | undefined> {
  const values: Partial<typeof users.$inferInsert> = { updatedAt: new Date() };
  if (patch.role !== undefined) values.role = patch.role;
  if (patch.disabled !== undefined) values.disabled = patch.disabled;
  if (patch.password !== undefined) values.passwordHash = await hashPassword(patch.password);
  const [row] = await db.update(users).set(values).where(eq(users.id, id)).returning();
  return row;
}

/**
 * First start: create `admin` with the configured password, or a generated one that the caller
 * prints once. Returns the generated password, or undefined when nothing was generated.
 */
export async function ensureAdmin(db: Db, configured?: string): Promise<{ created: boolean; generated?: string }> {
  const existing = await db.select({ id: users.id }).from(users).limit(1);
  if (existing.length > 0) return { created: false };
  const password = configured ?? generatePassword();
  await createUser(db, { username: "admin", password, role: "admin" });
  return { created: true, generated: configured ? undefined : password };
}
