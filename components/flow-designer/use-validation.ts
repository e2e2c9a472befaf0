"use client";
import { useEffect, useMemo, useState } from "react";
import { trpc } from "@/components/trpc";
import { pinIssues, type FlowDefinition, type GraphEdge, type GraphNode, type NodeIssue } from "./graph";

const DEBOUNCE_MS = 250;
/** Properties that name connections: the canvas already says when one is missing. */
const CONNECTION_PROPS = new Set(["channels", "channel", "sinks"]);

/**
 * The flow's problems: what the drawing shows (a sink on no channel) and what the server's parse
 * says, which is the truth about a flow — asked, debounced, whenever the drawing changes. Warnings
 * are kept apart: they are shown but never block a save or a deploy.
 */
export function useValidation(name: string, definition: FlowDefinition, graphIssues: NodeIssue[], nodes: GraphNode[], edges: GraphEdge[]) {
  const defJson = JSON.stringify({ ...definition, layout: undefined });
  const [checked, setChecked] = useState(defJson);
  useEffect(() => {
    const t = setTimeout(() => setChecked(defJson), DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [defJson]);
  const validation = trpc.flows.validate.useQuery({ definition: { name, ...(JSON.parse(checked) as FlowDefinition) } }, { placeholderData: (p) => p });
  const issues = useMemo(() => {
    // A missing connection is said once, in the canvas's words, not again as the parse's "channel is not defined".
    const unconnected = new Set(graphIssues.map((i) => i.nodeId));
    const pinned = pinIssues(nodes, edges, (validation.data ?? []).filter((i) => !i.warning)).filter((i) => !(unconnected.has(i.nodeId) && i.property !== null && CONNECTION_PROPS.has(i.property)));
    return [...graphIssues, ...pinned];
  }, [graphIssues, nodes, edges, validation.data]);
  // Warnings (a topic the cluster will not create) are shown on their node but do not block a save.
  const warnings = useMemo(() => pinIssues(nodes, edges, (validation.data ?? []).filter((i) => i.warning)), [nodes, edges, validation.data]);
  return { issues, warnings, validating: validation.isFetching || checked !== defJson };
}
