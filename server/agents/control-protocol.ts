import { z } from "zod";
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
