"use client";
import "@xyflow/react/dist/style.css";
import "./flow-designer.css";
import {
  applyNodeChanges,
  Background,
  Controls,
  MarkerType,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type NodeChange,
} from "@xyflow/react";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from "react";
import { trpc } from "@/components/trpc";
import { ErrorNote, Loading } from "@/components/ui";
import { ComponentNodeView, type ComponentNode } from "./component-node";
import { canConnect, freshName, fromFlow, pinIssues, toFlow, type FlowDefinition, type GraphEdge, type GraphNode, type NodeIssue, type NodeKind } from "./graph";
import { HISTORY_POINTS, liveStats, type AgentLive, type NodeLive } from "./live";
import { Palette, type Catalog } from "./palette";
import { DeployPanel, ImportDialog, NodePanel, VersionsPanel } from "./panels";

const nodeTypes = { component: ComponentNodeView };
const DRAG_MIME = "application/x-tributary-component";
const LIVE_POLL_MS = 1000;
/** Where a component added from the keyboard lands: one column per kind, left to right as events flow. */
const ADD_COLUMN: Record<NodeKind, number> = { interceptor: 20, selector: 20, source: 20, channel: 260, sink: 500, sinkgroup: 740 };

interface Snapshot {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface RatePoint {
  t: number;
  in: number;
  out: number;
}

/** Undo/redo over whole snapshots: flows are small, and a snapshot can never be half-applied. */
function useHistory(initial: Snapshot) {
  const [state, setState] = useState(initial);
  const current = useRef(initial);
  const past = useRef<Snapshot[]>([]);
  const future = useRef<Snapshot[]>([]);
  const [, bump] = useState(0);
  const set = useCallback((next: Snapshot) => {
    current.current = next;
    setState(next);
  }, []);
  /** An undoable change. */
  const commit = useCallback(
    (next: Snapshot | ((s: Snapshot) => Snapshot)) => {
      const value = typeof next === "function" ? next(current.current) : next;
      past.current = [...past.current.slice(-99), current.current];
      future.current = [];
      set(value);
    },
    [set],
  );
  /** A change that is not an undo step of its own (a drag in progress, a measured size). */
  const replace = useCallback((next: (s: Snapshot) => Snapshot) => set(next(current.current)), [set]);
  /** Records a snapshot taken before a gesture (a drag) as one undo step. */
  const remember = useCallback((snap: Snapshot) => {
    past.current = [...past.current.slice(-99), snap];
    future.current = [];
    bump((n) => n + 1);
  }, []);
  const undo = useCallback(() => {
    const prev = past.current.pop();
    if (!prev) return;
    future.current.push(current.current);
    set(prev);
  }, [set]);
  const redo = useCallback(() => {
    const next = future.current.pop();
    if (!next) return;
    past.current.push(current.current);
    set(next);
  }, [set]);
  return { state, commit, replace, remember, undo, redo, canUndo: past.current.length > 0, canRedo: future.current.length > 0 };
}

export function FlowDesigner({ flowId, templateId }: { flowId?: number; templateId?: string }) {
  const catalog = trpc.flows.components.useQuery(undefined, { staleTime: Infinity });
  const flow = trpc.flows.get.useQuery({ id: flowId ?? 0 }, { enabled: flowId !== undefined });
  const latest = trpc.flows.version.useQuery({ flowId: flowId ?? 0 }, { enabled: flowId !== undefined });
  const templates = trpc.flows.templates.useQuery(undefined, { enabled: templateId !== undefined });
  // Kept out here so saving or rolling back (which reloads the canvas) leaves the same panel open.
  const [tab, setTab] = useState<Tab>("component");
  const error = catalog.error ?? flow.error ?? latest.error ?? templates.error;
  if (error) return <ErrorNote error={error} retry={() => void Promise.all([catalog.refetch(), flow.refetch(), latest.refetch()])} />;
  if (catalog.isPending || (flowId !== undefined && (flow.isPending || latest.isPending)) || (templateId !== undefined && templates.isPending)) {
    return <Loading label="Loading the designer…" />;
  }
  const template = templates.data?.find((t) => t.id === templateId);
  const initial = latest.data ? (latest.data.definition as FlowDefinition) : template ? (template.flow as unknown as FlowDefinition) : { sources: {}, channels: {}, sinks: {} };
  return (
    <ReactFlowProvider>
      <Designer
        key={`${flowId ?? "new"}-${latest.data?.version ?? 0}`}
        catalog={catalog.data!}
        flowId={flowId}
        flowName={flow.data?.name}
        savedVersion={latest.data?.version}
        initial={fromFlow(initial)}
        defaultName={template?.id}
        tab={tab}
        setTab={setTab}
      />
    </ReactFlowProvider>
  );
}

type Tab = "component" | "versions" | "deploy";

function Designer({ catalog, flowId, flowName, savedVersion, initial, defaultName, tab, setTab }: { catalog: Catalog; flowId?: number; flowName?: string; savedVersion?: number; initial: Snapshot; defaultName?: string; tab: Tab; setTab: (t: Tab) => void }) {
  const router = useRouter();
  const utils = trpc.useUtils();
  const me = trpc.auth.me.useQuery();
  const { screenToFlowPosition, fitView } = useReactFlow();
  const history = useHistory(initial);
  const { nodes, edges } = history.state;
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [selectedEdge, setSelectedEdge] = useState<string | null>(null);
  const [name, setName] = useState(defaultName ?? "");
  const [message, setMessage] = useState("");
  const [importing, setImporting] = useState(false);
  const [unsupported, setUnsupported] = useState<string[] | null>(null);
  const dragStart = useRef<Snapshot | null>(null);
  const savedJson = useRef(JSON.stringify(toFlow(initial.nodes, initial.edges).definition));

  const { definition, issues: graphIssues } = useMemo(() => toFlow(nodes, edges), [nodes, edges]);
  const defJson = JSON.stringify({ ...definition, layout: undefined });
  const dirty = JSON.stringify(definition) !== savedJson.current;

  // The server's parse is the truth about a flow; ask it (debounced) whenever the drawing changes.
  const [checked, setChecked] = useState(defJson);
  useEffect(() => {
    const t = setTimeout(() => setChecked(defJson), 250);
    return () => clearTimeout(t);
  }, [defJson]);
  const validation = trpc.flows.validate.useQuery({ definition: { name: name || flowName || "flow", ...JSON.parse(checked) } }, { placeholderData: (p) => p });
  const issues: NodeIssue[] = useMemo(() => {
    // A missing connection is said once, in the canvas's words, not again as the parse's "channel is not defined".
    const unconnected = new Set(graphIssues.map((i) => i.nodeId));
    const pinned = pinIssues(nodes, edges, validation.data ?? []).filter((i) => !(unconnected.has(i.nodeId) && (i.property === "channels" || i.property === "channel" || i.property === "sinks")));
    return [...graphIssues, ...pinned];
  }, [graphIssues, nodes, edges, validation.data]);
  const validating = validation.isFetching || checked !== defJson;

  // Live view: poll while the flow is deployed anywhere; keep a short history per node for its chart.
  const rollout = trpc.flows.rollout.useQuery({ flowId: flowId ?? 0 }, { enabled: flowId !== undefined, refetchInterval: 2000 });
  const deployed = (rollout.data ?? []).some((r) => r.desired === "running");
  const live = trpc.flows.live.useQuery({ flowId: flowId ?? 0 }, { enabled: flowId !== undefined && deployed, refetchInterval: LIVE_POLL_MS });
  const prevSample = useRef<AgentLive[] | undefined>(undefined);
  const [liveByNode, setLiveByNode] = useState<Record<string, NodeLive>>({});
  const chart = useRef<Record<string, RatePoint[]>>({});
  useEffect(() => {
    const sample = live.data?.agents as AgentLive[] | undefined;
    if (!sample) return;
    const next: Record<string, NodeLive> = {};
    for (const n of nodes) {
      const s = liveStats(n.data.kind, n.data.name, sample, prevSample.current);
      if (!s) continue;
      next[n.id] = s;
      const key = `${n.data.kind}:${n.data.name}`;
      chart.current[key] = [...(chart.current[key] ?? []), { t: live.data!.at, in: s.inRate, out: s.outRate }].slice(-HISTORY_POINTS);
    }
    prevSample.current = sample;
    setLiveByNode(next);
    // Only a new sample recomputes; node edits between samples keep the last numbers.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [live.data]);

  const rfNodes: ComponentNode[] = useMemo(
    () =>
      nodes.map((n) => ({
        id: n.id,
        type: "component" as const,
        position: n.position,
        measured: n.measured,
        selected: n.id === selectedId,
        data: { ...n.data, issues: issues.filter((i) => i.nodeId === n.id), live: deployed ? (liveByNode[n.id] ?? null) : null },
      })),
    [nodes, selectedId, issues, liveByNode, deployed],
  );
  const rfEdges: Edge[] = useMemo(
    () =>
      edges.map((e) => {
        const from = nodes.find((n) => n.id === e.source);
        const to = nodes.find((n) => n.id === e.target);
        const channel = from?.data.kind === "channel" ? from : to?.data.kind === "channel" ? to : undefined;
        const chLive = channel ? liveByNode[channel.id] : undefined;
        const srcLive = from?.data.kind === "source" ? liveByNode[from.id] : undefined;
        // Back-pressure shows on the edge into a channel that refuses puts or is nearly full.
        const pressured = to?.data.kind === "channel" && ((srcLive?.refused ?? 0) > 0 || (chLive?.fill ?? 0) >= 85);
        const flowing = (liveByNode[e.source]?.outRate ?? 0) > 0;
        return {
          id: e.id,
          source: e.source,
          target: e.target,
          animated: flowing,
          selected: e.id === selectedEdge,
          markerEnd: { type: MarkerType.ArrowClosed },
          className: pressured ? "edge-pressured" : undefined,
          label: pressured ? "back-pressure" : undefined,
        };
      }),
    [edges, nodes, liveByNode, selectedEdge],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange<ComponentNode>[]) => {
      const sel = changes.find((c) => c.type === "select" && c.selected);
      if (sel && sel.type === "select") setSelectedId(sel.id);
      const structural = changes.filter((c) => c.type === "position" || c.type === "dimensions");
      if (!structural.length) return;
      history.replace((s) => ({ ...s, nodes: applyNodeChanges(structural as NodeChange<ComponentNode>[], s.nodes as ComponentNode[]).map(({ id, position, data, measured }) => ({ id, position, measured, data: { kind: data.kind, name: data.name, type: data.type, props: data.props } })) }));
    },
    [history],
  );
  // Selection only; removal goes through onDelete so it lands in the undo history once.
  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    for (const c of changes) if (c.type === "select") setSelectedEdge((cur) => (c.selected ? c.id : cur === c.id ? null : cur));
  }, []);
  const onDelete = useCallback(
    ({ nodes: gone, edges: goneEdges }: { nodes: { id: string }[]; edges: { id: string }[] }) => {
      const ids = new Set(gone.map((n) => n.id));
      const edgeIds = new Set(goneEdges.map((e) => e.id));
      history.commit((s) => ({ nodes: s.nodes.filter((n) => !ids.has(n.id)), edges: s.edges.filter((e) => !edgeIds.has(e.id) && !ids.has(e.source) && !ids.has(e.target)) }));
      if (selectedId && ids.has(selectedId)) setSelectedId(null);
    },
    [history, selectedId],
  );
  const isValidConnection = useCallback(
    (c: Connection | Edge) => {
      const a = nodes.find((n) => n.id === c.source);
      const b = nodes.find((n) => n.id === c.target);
      return !!a && !!b && canConnect(a.data.kind, b.data.kind) && !edges.some((e) => e.source === c.source && e.target === c.target);
    },
    [nodes, edges],
  );
  const onConnect = useCallback(
    (c: Connection) => {
      history.commit((s) => ({ ...s, edges: [...s.edges, { id: `${c.source}->${c.target}`, source: c.source, target: c.target }] }));
    },
    [history],
  );

  const addNode = useCallback(
    (kind: NodeKind, type: string, position: { x: number; y: number }) => {
      const id = `${kind}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
      history.commit((s) => ({ ...s, nodes: [...s.nodes, { id, position, data: { kind, type, name: freshName(s.nodes, kind, type), props: {} } }] }));
      setSelectedId(id);
      setTab("component");
    },
    [history],
  );
  const onDrop = useCallback(
    (e: DragEvent) => {
      e.preventDefault();
      const raw = e.dataTransfer.getData(DRAG_MIME);
      if (!raw) return;
      const { kind, type } = JSON.parse(raw) as { kind: NodeKind; type: string };
      addNode(kind, type, screenToFlowPosition({ x: e.clientX - 80, y: e.clientY - 30 }));
    },
    [addNode, screenToFlowPosition],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (target.closest("input, textarea, select")) return;
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") {
        e.preventDefault();
        if (e.shiftKey) history.redo();
        else history.undo();
      } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "y") {
        e.preventDefault();
        history.redo();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [history]);

  const create = trpc.flows.create.useMutation();
  const save = trpc.flows.save.useMutation();
  const saveError = create.error ?? save.error;
  const canEdit = me.data?.role === "operator" || me.data?.role === "admin";
  const blocking = issues.length > 0 || validating;
  const doSave = async () => {
    const body = { ...definition };
    if (flowId === undefined) {
      const r = await create.mutateAsync({ name, definition: body, message: message || "First version" });
      await utils.flows.list.invalidate();
      router.push(`/flows/${r.id}`);
    } else {
      await save.mutateAsync({ flowId, definition: body, message });
      savedJson.current = JSON.stringify(definition);
      setMessage("");
      await Promise.all([utils.flows.get.invalidate({ id: flowId }), utils.flows.version.invalidate({ flowId })]);
    }
  };

  const selected = nodes.find((n) => n.id === selectedId);
  // A tap looks at a channel: the one itself, the first one a source puts into, or the one a sink takes from.
  const onEmbedded = (rollout.data ?? []).some((r) => r.embedded && r.state === "running");
  const tapChannel = !selected || !onEmbedded || flowId === undefined
    ? undefined
    : selected.data.kind === "channel"
      ? selected
      : selected.data.kind === "source"
        ? nodes.find((n) => edges.some((e) => e.source === selected.id && e.target === n.id))
        : selected.data.kind === "sink"
          ? nodes.find((n) => edges.some((e) => e.target === selected.id && e.source === n.id))
          : undefined;
  const tap = tapChannel && flowId !== undefined ? { flowId, channel: tapChannel.data.name, side: selected?.data.kind === "sink" ? ("take" as const) : ("put" as const) } : null;
  const download = (text: string, file: string, type: string) => {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text], { type }));
    a.download = file;
    a.click();
    URL.revokeObjectURL(a.href);
  };
  const exportProps = async () => {
    if (!flowId || !savedVersion) return;
    const text = await utils.flows.exportProperties.fetch({ flowId, version: savedVersion, agent: "a1" });
    download(text, `${flowName}-v${savedVersion}.properties`, "text/plain");
  };

  return (
    <div className="designer">
      <div className="designer-toolbar">
        {flowId === undefined ? (
          <label>
            Flow name <input aria-label="Flow name" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. web-logs" />
          </label>
        ) : (
          <strong className="designer-title">
            {flowName} <span className="muted">v{savedVersion}{dirty ? " · unsaved changes" : ""}</span>
          </strong>
        )}
        <button type="button" onClick={history.undo} disabled={!history.canUndo} title="Undo (Ctrl+Z)">
          Undo
        </button>
        <button type="button" onClick={history.redo} disabled={!history.canRedo} title="Redo (Ctrl+Shift+Z)">
          Redo
        </button>
        <button type="button" onClick={() => setImporting(true)} disabled={!canEdit}>
          Import .properties
        </button>
        <button type="button" onClick={() => download(JSON.stringify({ ...definition, name: flowName ?? name }, null, 2), `${flowName ?? (name || "flow")}.json`, "application/json")}>
          Export JSON
        </button>
        <button type="button" onClick={() => void exportProps()} disabled={!savedVersion || dirty} title={dirty ? "Save first: .properties are exported from a saved version" : undefined}>
          Export .properties
        </button>
        <span className="spacer" />
        <span className={`validity ${issues.length ? "bad" : "ok"}`} role="status" data-testid="validity">
          {validating ? "Checking…" : issues.length ? `${issues.length} problem${issues.length === 1 ? "" : "s"} to fix` : "Valid"}
        </span>
        <input aria-label="Version message" placeholder={flowId === undefined ? "First version" : "What changed?"} value={message} onChange={(e) => setMessage(e.target.value)} />
        <button
          type="button"
          className="primary"
          disabled={!canEdit || blocking || save.isPending || create.isPending || (flowId === undefined ? !name : !dirty || !message)}
          title={!canEdit ? "Operators and admins save flows" : issues.length ? "Fix the problems marked on the canvas first" : flowId !== undefined && !message ? "Say what changed" : undefined}
          onClick={() => void doSave().catch(() => undefined)}
        >
          {flowId === undefined ? "Create flow" : "Save version"}
        </button>
      </div>
      <ErrorNote error={saveError} />
      {unsupported && (
        <div className="card import-report" role="status">
          <strong>Imported.</strong> {unsupported.length === 0 ? "Every key was carried over." : `${unsupported.length} item${unsupported.length === 1 ? " was" : "s were"} not carried over:`}
          <ul>
            {unsupported.map((u) => (
              <li key={u}>{u}</li>
            ))}
          </ul>
          <button type="button" className="link" onClick={() => setUnsupported(null)}>
            Dismiss
          </button>
        </div>
      )}
      {importing && (
        <ImportDialog
          onCancel={() => setImporting(false)}
          onImported={(def, report) => {
            history.commit(fromFlow(def as unknown as FlowDefinition));
            setUnsupported(report);
            setImporting(false);
            // Once the imported nodes are measured, bring them all into view.
            setTimeout(() => void fitView({ maxZoom: 1 }), 100);
          }}
        />
      )}
      <div className="designer-body">
        <Palette catalog={catalog} mime={DRAG_MIME} onAdd={(kind, type) => addNode(kind, type, { x: ADD_COLUMN[kind], y: 40 + nodes.filter((n) => n.data.kind === kind).length * 120 })} />
        <div className="designer-canvas" onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = "move"; }} onDrop={onDrop} data-testid="canvas">
          <ReactFlow
            nodes={rfNodes}
            edges={rfEdges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            onDelete={onDelete}
            isValidConnection={isValidConnection}
            onNodeDragStart={() => (dragStart.current = history.state)}
            onNodeDragStop={() => {
              if (dragStart.current) history.remember(dragStart.current);
              dragStart.current = null;
            }}
            onPaneClick={() => setSelectedId(null)}
            deleteKeyCode={["Delete", "Backspace"]}
            fitView={initial.nodes.length > 0}
            fitViewOptions={{ maxZoom: 1 }}
            proOptions={{ hideAttribution: true }}
          >
            <Background gap={16} />
            <Controls showInteractive={false} />
          </ReactFlow>
          {nodes.length === 0 && <div className="canvas-empty">Drag a source, a channel and a sink from the palette, then connect them left to right.</div>}
        </div>
        <aside className="designer-side">
          <div className="tabs" role="tablist">
            <button type="button" role="tab" aria-selected={tab === "component"} onClick={() => setTab("component")}>
              Component
            </button>
            <button type="button" role="tab" aria-selected={tab === "versions"} onClick={() => setTab("versions")} disabled={flowId === undefined}>
              Versions
            </button>
            <button type="button" role="tab" aria-selected={tab === "deploy"} onClick={() => setTab("deploy")} disabled={flowId === undefined}>
              Deploy
            </button>
          </div>
          {tab === "component" && (
            <NodePanel
              node={selected}
              catalog={catalog}
              issues={issues}
              live={selected ? (liveByNode[selected.id] ?? null) : null}
              chart={selected ? (chart.current[`${selected.data.kind}:${selected.data.name}`] ?? []) : []}
              readOnly={!canEdit}
              onChange={(data) => history.commit((s) => ({ ...s, nodes: s.nodes.map((n) => (n.id === selected?.id ? { ...n, data } : n)) }))}
              onDelete={() => selected && onDelete({ nodes: [selected], edges: [] })}
              onSelect={(id) => setSelectedId(id)}
              tap={tap}
            />
          )}
          {tab === "versions" && flowId !== undefined && <VersionsPanel flowId={flowId} current={savedVersion} canEdit={canEdit} />}
          {tab === "deploy" && flowId !== undefined && (
            <DeployPanel flowId={flowId} latest={savedVersion ?? 0} rollout={rollout.data ?? []} canDeploy={me.data?.role === "admin"} canOperate={canEdit} blocked={dirty || issues.length > 0 ? (issues.length ? "Fix the problems on the canvas and save before deploying." : "Save your changes as a version before deploying them.") : null} />
          )}
        </aside>
      </div>
    </div>
  );
}
