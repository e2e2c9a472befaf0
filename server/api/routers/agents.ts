import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { createToken, listAgents, listTokens, revokeToken } from "../../control/agent-registry";
import { adminProcedure, router, viewerProcedure } from "../trpc";

export const agentsRouter = router({
  list: viewerProcedure.query(({ ctx }) => listAgents(ctx.db)),
  tokens: adminProcedure.query(({ ctx }) => listTokens(ctx.db)),
  /** The token is shown once, in this response; only its hash is stored. */
  createToken: adminProcedure.input(z.object({ label: z.string().max(200).default("") })).mutation(async ({ ctx, input }) => {
    const t = await createToken(ctx.db, input.label, ctx.user.username);
    ctx.audit.targetKind = "agent-token";
    ctx.audit.target = t.prefix;
    return t;
  }),
  revokeToken: adminProcedure.input(z.object({ id: z.number().int().positive() })).mutation(async ({ ctx, input }) => {
    const r = await revokeToken(ctx.db, input.id);
    if (!r) throw new TRPCError({ code: "NOT_FOUND", message: "No such active token; it may be revoked already. Reload the list." });
    ctx.audit.targetKind = "agent-token";
    ctx.audit.target = r.prefix;
    return r;
  }),
});
