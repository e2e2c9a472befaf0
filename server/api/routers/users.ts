import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { roles } from "@/db/schema";
import { deleteUserSessions } from "../../control/sessions";
import { createUser, findUser, listUsers, publicUser, updateUser, UserExistsError } from "../../control/users";
import { adminProcedure, router } from "../trpc";

const username = z
  .string()
  .min(2)
  .max(64)
  .regex(/^[a-zA-Z0-9._-]+$/, "use letters, digits, dot, dash or underscore");
const password = z.string().min(8, "must be at least 8 characters").max(200);

async function requireUser(db: Parameters<typeof findUser>[0], id: number) {
  const user = await findUser(db, id);
  if (!user) throw new TRPCError({ code: "NOT_FOUND", message: `No user with id ${id}; reload the list.` });
  return user;
}

export const usersRouter = router({
  list: adminProcedure.query(async ({ ctx }) => (await listUsers(ctx.db)).map(publicUser)),

  create: adminProcedure
    .input(z.object({ username, password, role: z.enum(roles) }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.targetKind = "user";
      ctx.audit.target = input.username;
      try {
        const user = publicUser(await createUser(ctx.db, input));
        ctx.audit.after = user;
        return user;
      } catch (err) {
        if (err instanceof UserExistsError) throw new TRPCError({ code: "CONFLICT", message: err.message });
        throw err;
      }
    }),

  update: adminProcedure
    .input(z.object({ id: z.number().int(), role: z.enum(roles).optional(), disabled: z.boolean().optional() }))
    .mutation(async ({ ctx, input }) => {
      const before = await requireUser(ctx.db, input.id);
      ctx.audit.targetKind = "user";
      ctx.audit.target = before.username;
      if (before.id === ctx.user.id && (input.disabled || (input.role && input.role !== "admin"))) {
        throw new TRPCError({ code: "BAD_REQUEST", message: "You cannot disable yourself or drop your own admin role; ask another admin." });
      }
      const after = await updateUser(ctx.db, input.id, { role: input.role, disabled: input.disabled });
      if (input.disabled) await deleteUserSessions(ctx.db, input.id);
      ctx.audit.before = publicUser(before);
      ctx.audit.after = after && publicUser(after);
      return publicUser(after ?? before);
    }),

  resetPassword: adminProcedure
    .input(z.object({ id: z.number().int(), password }))
    .mutation(async ({ ctx, input }) => {
      const user = await requireUser(ctx.db, input.id);
      ctx.audit.targetKind = "user";
      ctx.audit.target = user.username;
      await updateUser(ctx.db, input.id, { password: input.password });
      await deleteUserSessions(ctx.db, input.id);
      return { ok: true as const };
    }),
});
