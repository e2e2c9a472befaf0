import { MarkerType, type Edge } from "@xyflow/react";
import type { ComponentNode } from "./component-node";
import type { GraphEdge, GraphNode, NodeIssue } from "./graph";
import type { NodeLive } from "./live";

/** A channel at or above this fill shows back-pressure on the edges into it. */
const PRESSURE_FILL = 85;

/** The canvas's nodes: the drawing plus selection, each node's problems and warnings and, once deployed, its live numbers. */
export function canvasNodes(nodes: GraphNode[], selectedId: string | null, issues: NodeIssue[], warnings: NodeIssue[], live: Record<string, NodeLive> | null): ComponentNode[] {
  return nodes.map((n) => ({
    id: n.id,
    type: "component" as const,
    position: n.position,
    measured: n.measured,
    selected: n.id === selectedId,
    data: { ...n.data, issues: issues.filter((i) => i.nodeId === n.id), warnings: warnings.filter((w) => w.nodeId === n.id), live: live ? (live[n.id] ?? null) : null },
  }));
}

/** The canvas's edges: animated while events flow, marked where a channel pushes back. */
export function canvasEdges(edges: GraphEdge[], nodes: GraphNode[], live: Record<string, NodeLive>, selectedEdge: string | null): Edge[] {
  return edges.map((e) => {
    const from = nodes.find((n) => n.id === e.source);
    const to = nodes.find((n) => n.id === e.target);
    const channel = from?.data.kind === "channel" ? from : to?.data.kind === "channel" ? to : undefined;
    const chLive = channel ? live[channel.id] : undefined;
    const srcLive = from?.data.kind === "source" ? live[from.id] : undefined;
    // Back-pressure shows on the edge into a channel that refuses puts or is nearly full.
    const pressured = to?.data.kind === "channel" && ((srcLive?.refused ?? 0) > 0 || (chLive?.fill ?? 0) >= PRESSURE_FILL);
    return {
      id: e.id,
      source: e.source,
      target: e.target,
      animated: (live[e.source]?.outRate ?? 0) > 0,
      selected: e.id === selectedEdge,
      markerEnd: { type: MarkerType.ArrowClosed },
      className: pressured ? "edge-pressured" : undefined,
      label: pressured ? "back-pressure" : undefined,
    };
  });
}

/** Back from the canvas's node type to the drawing's: what React Flow adds is not part of the flow. */
export function drawn(nodes: ComponentNode[]): GraphNode[] {
  return nodes.map(({ id, position, data, measured }) => ({ id, position, measured, data: { kind: data.kind, name: data.name, type: data.type, props: data.props } }));
}
