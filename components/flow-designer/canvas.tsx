"use client";
import { applyNodeChanges, Background, Controls, ReactFlow, useReactFlow, type Connection, type Edge, type EdgeChange, type NodeChange } from "@xyflow/react";
import { useCallback, useMemo, useRef, useState, type DragEvent } from "react";
import { canvasEdges, canvasNodes, drawn } from "./canvas-model";
import { ComponentNodeView, type ComponentNode } from "./component-node";
import { canConnect, type NodeIssue, type NodeKind } from "./graph";
import type { LiveView } from "./live";
import type { Graph } from "./use-graph";
import type { Snapshot } from "./use-history";

const nodeTypes = { component: ComponentNodeView };
export const DRAG_MIME = "application/x-tributary-component";

/** The largest a new node is drawn (its CSS max-width and a typical height), and the gap kept from the canvas edge. */
const NODE_BOX = { width: 230, height: 90 };
const EDGE_MARGIN = 8;

/** The drawing surface: drop components from the palette, connect, move, select and delete them. */
export function Canvas({ graph, issues, warnings, live, deployed, fitOnOpen }: { graph: Graph; issues: NodeIssue[]; warnings: NodeIssue[]; live: LiveView; deployed: boolean; fitOnOpen: boolean }) {
  const { history, nodes, edges, selectedId, select, addNode, remove, connect } = graph;
  const { screenToFlowPosition } = useReactFlow();
  const [selectedEdge, setSelectedEdge] = useState<string | null>(null);
  const dragStart = useRef<Snapshot | null>(null);

  const rfNodes = useMemo(() => canvasNodes(nodes, selectedId, issues, warnings, deployed ? live.byNode : null), [nodes, selectedId, issues, warnings, live.byNode, deployed]);
  const rfEdges = useMemo(() => canvasEdges(edges, nodes, live.byNode, selectedEdge), [edges, nodes, live.byNode, selectedEdge]);

  const { replace } = history;
  const onNodesChange = useCallback(
    (changes: NodeChange<ComponentNode>[]) => {
      const sel = changes.find((c) => c.type === "select" && c.selected);
      if (sel && sel.type === "select") select(sel.id);
      const structural = changes.filter((c) => c.type === "position" || c.type === "dimensions");
      if (!structural.length) return;
      replace((s) => ({ ...s, nodes: drawn(applyNodeChanges(structural, canvasNodes(s.nodes, null, [], [], null))) }));
    },
    [replace, select],
  );
  // Selection only; removal goes through onDelete so it lands in the undo history once.
  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    for (const c of changes) if (c.type === "select") setSelectedEdge((cur) => (c.selected ? c.id : cur === c.id ? null : cur));
  }, []);
  const isValidConnection = useCallback(
    (c: Connection | Edge) => {
      const a = nodes.find((n) => n.id === c.source);
      const b = nodes.find((n) => n.id === c.target);
      return !!a && !!b && canConnect(a.data.kind, b.data.kind) && !edges.some((e) => e.source === c.source && e.target === c.target);
    },
    [nodes, edges],
  );
  const onConnect = useCallback((c: Connection) => connect(c.source, c.target), [connect]);
  const onDrop = useCallback(
    (e: DragEvent) => {
      e.preventDefault();
      const raw = e.dataTransfer.getData(DRAG_MIME);
      if (!raw) return;
      const { kind, type } = JSON.parse(raw) as { kind: NodeKind; type: string };
      // The node's top-left corner sits so the whole node stays inside the canvas, however near its edge it was dropped.
      const box = e.currentTarget.getBoundingClientRect();
      const x = Math.min(Math.max(e.clientX - 80, box.left + EDGE_MARGIN), box.right - NODE_BOX.width - EDGE_MARGIN);
      const y = Math.min(Math.max(e.clientY - 30, box.top + EDGE_MARGIN), box.bottom - NODE_BOX.height - EDGE_MARGIN);
      addNode(kind, type, screenToFlowPosition({ x: Math.max(x, box.left), y: Math.max(y, box.top) }));
    },
    [addNode, screenToFlowPosition],
  );
  const onDragOver = (e: DragEvent) => {
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
  };

  return (
    <div className="designer-canvas" onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas">
      <ReactFlow
        nodes={rfNodes}
        edges={rfEdges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onDelete={remove}
        isValidConnection={isValidConnection}
        onNodeDragStart={() => (dragStart.current = history.state)}
        onNodeDragStop={() => {
          if (dragStart.current) history.remember(dragStart.current);
          dragStart.current = null;
        }}
        onPaneClick={() => select(null)}
        deleteKeyCode={["Delete", "Backspace"]}
        fitView={fitOnOpen}
        fitViewOptions={{ maxZoom: 1 }}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={16} />
        <Controls showInteractive={false} />
      </ReactFlow>
      {nodes.length === 0 && <div className="canvas-empty">Drag a source, a channel and a sink from the palette, then connect them left to right.</div>}
    </div>
  );
}
