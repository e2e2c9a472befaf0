"use client";
import "@xyflow/react/dist/style.css";
import "./flow-designer.css";
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { useCallback, useMemo, useState } from "react";
import { canOperate } from "@/components/roles";
import { trpc } from "@/components/trpc";
import { ErrorNote, Loading } from "@/components/ui";
import { Canvas, DRAG_MIME } from "./canvas";
import { fromFlow, toFlow, type FlowDefinition, type NodeKind } from "./graph";
import { ImportDialog, ImportReport } from "./import-dialog";
import { Palette, type Catalog } from "./palette";
import { SidePanel, type Tab } from "./side-panel";
import { Toolbar, type SavedFlow } from "./toolbar";
import { useDraft } from "./use-draft";
import { useGraph } from "./use-graph";
import type { Snapshot } from "./use-history";
import { useLive } from "./use-live";
import { useValidation } from "./use-validation";

/** Where a component added from the keyboard lands: one column per kind, left to right as events flow. */
const ADD_COLUMN: Record<NodeKind, number> = { interceptor: 20, selector: 20, source: 20, channel: 260, sink: 500, sinkgroup: 740 };
const EMPTY_FLOW: FlowDefinition = { sources: {}, channels: {}, sinks: {} };

/** The flow designer for a saved flow, a template, or a blank canvas. */
export function FlowDesigner({ flowId, templateId }: { flowId?: number; templateId?: string }) {
  const catalog = trpc.flows.components.useQuery(undefined, { staleTime: Infinity });
  const flow = trpc.flows.get.useQuery({ id: flowId ?? 0 }, { enabled: flowId !== undefined });
  const latest = trpc.flows.version.useQuery({ flowId: flowId ?? 0 }, { enabled: flowId !== undefined });
  const templates = trpc.flows.templates.useQuery(undefined, { enabled: templateId !== undefined });
  // Kept out here so saving or rolling back (which reloads the canvas) leaves the same panel open.
  const [tab, setTab] = useState<Tab>("component");
  const error = catalog.error ?? flow.error ?? latest.error ?? templates.error;
  if (error) return <ErrorNote error={error} retry={() => void Promise.all([catalog.refetch(), flow.refetch(), latest.refetch()])} />;
  if (!catalog.data || (flowId !== undefined && (flow.isPending || latest.isPending)) || (templateId !== undefined && templates.isPending)) {
    return <Loading label="Loading the designer…" />;
  }
  const template = templates.data?.find((t) => t.id === templateId);
  const initial = latest.data ? (latest.data.definition as FlowDefinition) : template ? (template.flow as unknown as FlowDefinition) : EMPTY_FLOW;
  return (
    <ReactFlowProvider>
      <Designer
        key={`${flowId ?? "new"}-${latest.data?.version ?? 0}`}
        catalog={catalog.data}
        flow={{ flowId, flowName: flow.data?.name, savedVersion: latest.data?.version }}
        initial={fromFlow(initial)}
        defaultName={template?.id}
        tab={tab}
        setTab={setTab}
      />
    </ReactFlowProvider>
  );
}

function Designer({ catalog, flow, initial, defaultName, tab, setTab }: { catalog: Catalog; flow: SavedFlow; initial: Snapshot; defaultName?: string; tab: Tab; setTab: (t: Tab) => void }) {
  const { flowId, flowName, savedVersion } = flow;
  const role = trpc.auth.me.useQuery().data?.role;
  const { fitView } = useReactFlow();
  const graph = useGraph(
    initial,
    useCallback(() => setTab("component"), [setTab]),
  );
  const { nodes, edges, history } = graph;
  const [importing, setImporting] = useState(false);
  const [unsupported, setUnsupported] = useState<string[] | null>(null);
  // Folding the palette or the side panel gives the canvas room on narrow screens; hidden, not unmounted, so a half-filled form survives.
  const [paletteShown, setPaletteShown] = useState(true);
  const [sideShown, setSideShown] = useState(true);

  const { definition, issues: graphIssues } = useMemo(() => toFlow(nodes, edges), [nodes, edges]);
  const saved = useMemo(() => toFlow(initial.nodes, initial.edges).definition, [initial]);
  const draft = useDraft({ flowId, saved, definition, defaultName });
  const { issues, warnings, validating } = useValidation(draft.name || flowName || "flow", definition, graphIssues, nodes, edges);
  const { rollout, deployed, view } = useLive(flowId, nodes);
  const canEdit = canOperate(role);
  const undeployable = issues.length ? "Fix the problems on the canvas and save before deploying." : draft.dirty ? "Save your changes as a version before deploying them." : null;

  const onImported = (def: unknown, report: string[]) => {
    history.commit(fromFlow(def as FlowDefinition));
    setUnsupported(report);
    setImporting(false);
    // Once the imported nodes are measured, bring them all into view.
    setTimeout(() => void fitView({ maxZoom: 1 }), 100);
  };
  const addFromPalette = (kind: NodeKind, type: string) => graph.addNode(kind, type, { x: ADD_COLUMN[kind], y: 40 + nodes.filter((n) => n.data.kind === kind).length * 120 });

  return (
    <div className="designer">
      <Toolbar flow={flow} draft={draft} history={history} definition={definition} problems={issues.length} validating={validating} canEdit={canEdit} onImport={() => setImporting(true)} />
      <ErrorNote error={draft.error} />
      {unsupported && <ImportReport unsupported={unsupported} onDismiss={() => setUnsupported(null)} />}
      {importing && <ImportDialog onCancel={() => setImporting(false)} onImported={onImported} />}
      <div className={`designer-body${canEdit && paletteShown ? "" : " no-palette"}${sideShown ? "" : " no-side"}`}>
        {canEdit && <Palette catalog={catalog} mime={DRAG_MIME} onAdd={addFromPalette} />}
        <Canvas graph={graph} issues={issues} warnings={warnings} live={view} deployed={deployed} fitOnOpen={initial.nodes.length > 0} />
        {canEdit && (
          <button type="button" className="panel-toggle palette-toggle" aria-expanded={paletteShown} onClick={() => setPaletteShown((v) => !v)}>
            {paletteShown ? "‹ Hide components" : "Components ›"}
          </button>
        )}
        <button type="button" className="panel-toggle side-toggle" aria-expanded={sideShown} onClick={() => setSideShown((v) => !v)}>
          {sideShown ? "Hide panel ›" : "‹ Panel"}
        </button>
        <SidePanel tab={tab} setTab={setTab} flowId={flowId} savedVersion={savedVersion} graph={graph} catalog={catalog} issues={issues} live={view} rollout={rollout} role={role} undeployable={undeployable} />
      </div>
    </div>
  );
}
