import { z } from "zod";
import { auditOutcomes } from "@/db/schema";
import { listAudit } from "../../control/audit";
import { router, viewerProcedure } from "../trpc";

const isoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

export const auditRouter = router({
  list: viewerProcedure
    .input(
      z.object({
        limit: z.number().int().min(1).max(200).default(50),
        cursor: z.number().int().optional(),
        actor: z.string().max(100).optional(),
        action: z.string().max(100).optional(),
        target: z.string().max(200).optional(),
        outcome: z.enum(auditOutcomes).optional(),
        from: isoDate.optional(),
        to: isoDate.optional(),
      }),
    )
    .query(({ ctx, input }) => listAudit(ctx.db, input)),
});
