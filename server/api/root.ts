import { auditRouter } from "./routers/audit";
import { authRouter } from "./routers/auth";
import { dashboardRouter } from "./routers/dashboard";
import { groupsRouter } from "./routers/groups";
import { healthProcedure } from "./routers/health";
import { usersRouter } from "./routers/users";
import { router } from "./trpc";

export const appRouter = router({
  health: healthProcedure,
  auth: authRouter,
  users: usersRouter,
  audit: auditRouter,
  groups: groupsRouter,
  dashboard: dashboardRouter,
});

export type AppRouter = typeof appRouter;
