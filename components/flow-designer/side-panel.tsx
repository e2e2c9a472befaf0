"use client";
import { canOperate } from "@/components/roles";
import { DeployPanel, type Rollout } from "./deploy-panel";
import type { GraphEdge, GraphNode, NodeIssue } from "./graph";
import { chartKey, type LiveView } from "./live";
import type { Tap } from "./live-details";
import { NodePanel } from "./node-panel";
import type { Catalog } from "./palette";
import type { Graph } from "./use-graph";
import { VersionsPanel } from "./versions-panel";

export type Tab = "component" | "versions" | "deploy";

/** A tap looks at a channel: the one itself, the first one a source puts into, or the one a sink takes from. */
function tapOf(flowId: number, selected: GraphNode, nodes: GraphNode[], edges: GraphEdge[]): Tap | null {
  const { kind } = selected.data;
  const channel =
    kind === "channel"
      ? selected
      : kind === "source"
        ? nodes.find((n) => edges.some((e) => e.source === selected.id && e.target === n.id))
        : kind === "sink"
          ? nodes.find((n) => edges.some((e) => e.target === selected.id && e.source === n.id))
          : undefined;
  return channel ? { flowId, channel: channel.data.name, side: kind === "sink" ? "take" : "put" } : null;
}

interface Props {
  tab: Tab;
  setTab: (t: Tab) => void;
  flowId?: number;
  savedVersion?: number;
  graph: Graph;
  catalog: Catalog;
  issues: NodeIssue[];
  live: LiveView;
  rollout: Rollout;
  role: string | undefined;
  /** Why the drawing cannot be deployed as it is, if it cannot. */
  undeployable: string | null;
}

/** The side panel: the selected component's settings, the flow's versions, and its deployment. */
export function SidePanel({ tab, setTab, flowId, savedVersion, graph, catalog, issues, live, rollout, role, undeployable }: Props) {
  const { selected, nodes, edges } = graph;
  const canEdit = canOperate(role);
  const onEmbedded = rollout.some((r) => r.embedded && r.state === "running");
  const tabButton = (id: Tab, label: string, needsFlow: boolean) => (
    <button type="button" role="tab" aria-selected={tab === id} onClick={() => setTab(id)} disabled={needsFlow && flowId === undefined}>
      {label}
    </button>
  );
  return (
    <aside className="designer-side">
      <div className="tabs" role="tablist">
        {tabButton("component", "Component", false)}
        {tabButton("versions", "Versions", true)}
        {tabButton("deploy", "Deploy", true)}
      </div>
      {tab === "component" && (
        <NodePanel
          node={selected}
          catalog={catalog}
          issues={issues}
          live={selected ? (live.byNode[selected.id] ?? null) : null}
          chart={selected ? (live.charts[chartKey(selected)] ?? []) : []}
          readOnly={!canEdit}
          onChange={(data) => selected && graph.update(selected.id, data)}
          onDelete={() => selected && graph.remove({ nodes: [selected], edges: [] })}
          onSelect={graph.select}
          tap={selected && onEmbedded && flowId !== undefined ? tapOf(flowId, selected, nodes, edges) : null}
        />
      )}
      {tab === "versions" && flowId !== undefined && <VersionsPanel flowId={flowId} current={savedVersion} canEdit={canEdit} />}
      {tab === "deploy" && flowId !== undefined && <DeployPanel flowId={flowId} latest={savedVersion ?? 0} rollout={rollout} canDeploy={role === "admin"} canOperate={canEdit} blocked={undeployable} />}
    </aside>
  );
}
