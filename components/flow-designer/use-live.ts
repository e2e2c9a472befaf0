"use client";
import { useState } from "react";
import { trpc } from "@/components/trpc";
import type { GraphNode } from "./graph";
import { advanceLive, NO_LIVE } from "./live";

const LIVE_POLL_MS = 1000;
const ROLLOUT_POLL_MS = 2000;

/** The flow's rollout, and while it is deployed anywhere, live numbers per node from a poll every second. */
export function useLive(flowId: number | undefined, nodes: GraphNode[]) {
  const rollout = trpc.flows.rollout.useQuery({ flowId: flowId ?? 0 }, { enabled: flowId !== undefined, refetchInterval: ROLLOUT_POLL_MS });
  const deployed = (rollout.data ?? []).some((r) => r.desired === "running");
  const live = trpc.flows.live.useQuery({ flowId: flowId ?? 0 }, { enabled: flowId !== undefined && deployed, refetchInterval: LIVE_POLL_MS });
  const [view, setView] = useState(NO_LIVE);
  // Each answer advances the view once, against the one before it: derived while rendering, so no effect runs a second render.
  if (live.data && live.data !== view.sample) setView(advanceLive(view, live.data, nodes));
  return { rollout: rollout.data ?? [], deployed, view };
}
