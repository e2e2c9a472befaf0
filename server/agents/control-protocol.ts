/**
 * The agent ↔ console control protocol: a standalone agent POSTs a heartbeatRequest to
 * /api/agent/v1/heartbeat with `Authorization: Bearer <token>` and gets back the complete set of
 * flows deployed to it, which it reconciles (AgentHost.reconcile). Plain HTTP + JSON, not tRPC,
 * because it is machine to machine with a bearer token.
 */
import { z } from "zod";

export const HEARTBEAT_PATH = "/api/agent/v1/heartbeat";

export const deployment = z.object({ id: z.string(), version: z.number().int(), definition: z.unknown() });
export const heartbeatRequest = z.object({
  name: z.string().min(1).max(200),
  host: z.string().max(255),
  version: z.string(),
  flows: z.array(z.unknown()),
  metrics: z.record(z.string(), z.unknown()),
});
export const heartbeatResponse = z.object({
  agentId: z.number().int(),
  heartbeatIntervalMs: z.number().int().positive(),
  deployments: z.array(deployment),
});
export type Deployment = z.infer<typeof deployment>;
export type HeartbeatRequest = z.infer<typeof heartbeatRequest>;
export type HeartbeatResponse = z.infer<typeof heartbeatResponse>;
