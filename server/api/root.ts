import { agentsRouter } from "./routers/agents";
import { auditRouter } from "./routers/audit";
import { authRouter } from "./routers/auth";
import { flowsRouter } from "./routers/flows";
import { healthProcedure } from "./routers/health";
import { usersRouter } from "./routers/users";
import { router } from "./trpc";

export const appRouter = router({
  health: healthProcedure,
  auth: authRouter,
  users: usersRouter,
  audit: auditRouter,
  flows: flowsRouter,
  agents: agentsRouter,
});

export type AppRouter = typeof appRouter;
