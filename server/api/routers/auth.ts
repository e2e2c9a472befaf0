import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { checkPassword } from "../../control/passwords";
import { clearedSessionCookie, createSession, deleteSession, sessionCookie } from "../../control/sessions";
import { findUserByName, publicUser } from "../../control/users";
import { publicProcedure, router, viewerProcedure } from "../trpc";

export const authRouter = router({
  login: publicProcedure
    .input(z.object({ username: z.string().min(1).max(100), password: z.string().min(1).max(1000) }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.actor = input.username;
      ctx.audit.targetKind = "session";
      ctx.audit.target = input.username;
      const limiter = ctx.services.loginLimiter;
      const address = ctx.clientAddress ?? "unknown";
      const wait = limiter.retryAfter(address, input.username);
      if (wait > 0) {
        throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: `Too many failed logins; try again in ${Math.ceil(wait / 1000)} s.` });
      }
      const user = await findUserByName(ctx.db, input.username);
      const ok = (await checkPassword(input.password, user?.passwordHash)) && user && !user.disabled;
      if (!user || !ok) {
        limiter.fail(address, input.username);
        throw new TRPCError({ code: "UNAUTHORIZED", message: "Wrong username or password." });
      }
      limiter.succeed(address, input.username);
      const session = await createSession(ctx.db, user.id, { clientAddress: ctx.clientAddress, userAgent: ctx.userAgent });
      ctx.setCookie(sessionCookie(session.token, session.expiresAt, ctx.https));
      return { user: { id: user.id, username: user.username, role: user.role } };
    }),

  logout: publicProcedure.mutation(async ({ ctx }) => {
    ctx.audit.targetKind = "session";
    ctx.audit.target = ctx.user?.username;
    if (ctx.sessionToken) await deleteSession(ctx.db, ctx.sessionToken);
    ctx.setCookie(clearedSessionCookie(ctx.https));
    return { ok: true as const };
  }),

  me: viewerProcedure.query(({ ctx }) => {
    const u = publicUser(ctx.user);
    return { id: u.id, username: u.username, role: u.role };
  }),
});
