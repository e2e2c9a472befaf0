import { agentsRouter } from "./routers/agents";
import { auditRouter } from "./routers/audit";
import { brokersRouter } from "./routers/brokers";
import { authRouter } from "./routers/auth";
import { dashboardRouter } from "./routers/dashboard";
import { groupsRouter } from "./routers/groups";
import { clustersRouter } from "./routers/clusters";
import { flowsRouter } from "./routers/flows";
import { healthProcedure } from "./routers/health";
import { messagesRouter } from "./routers/messages";
import { topicsRouter } from "./routers/topics";
import { usersRouter } from "./routers/users";
import { securityRouter } from "./routers/security";
import { transactionsRouter } from "./routers/transactions";
import { router } from "./trpc";

export const appRouter = router({
  health: healthProcedure,
  auth: authRouter,
  users: usersRouter,
  audit: auditRouter,
  groups: groupsRouter,
  brokers: brokersRouter,
  dashboard: dashboardRouter,
  clusters: clustersRouter,
  topics: topicsRouter,
  messages: messagesRouter,
  flows: flowsRouter,
  agents: agentsRouter,
  security: securityRouter,
  transactions: transactionsRouter,
});

export type AppRouter = typeof appRouter;
