"use client";
import { useCallback, useMemo, useState } from "react";
import { freshName, type FlowNodeData, type NodeKind } from "./graph";
import { useHistory, useUndoKeys, type Snapshot } from "./use-history";

type Position = { x: number; y: number };

/** The drawing being edited: its undo history, the selected node, and every edit as one undo step. */
export function useGraph(initial: Snapshot, onAdded: () => void) {
  const history = useHistory(initial);
  useUndoKeys(history);
  const { commit } = history;
  const [selectedId, select] = useState<string | null>(null);

  const addNode = useCallback(
    (kind: NodeKind, type: string, position: Position) => {
      const id = `${kind}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
      commit((s) => ({ ...s, nodes: [...s.nodes, { id, position, data: { kind, type, name: freshName(s.nodes, kind, type), props: {} } }] }));
      select(id);
      onAdded();
    },
    [commit, onAdded],
  );
  /** Removes nodes (with their edges) and edges in one undo step. */
  const remove = useCallback(
    ({ nodes: gone, edges: goneEdges }: { nodes: { id: string }[]; edges: { id: string }[] }) => {
      const ids = new Set(gone.map((n) => n.id));
      const edgeIds = new Set(goneEdges.map((e) => e.id));
      commit((s) => ({ nodes: s.nodes.filter((n) => !ids.has(n.id)), edges: s.edges.filter((e) => !edgeIds.has(e.id) && !ids.has(e.source) && !ids.has(e.target)) }));
      select((cur) => (cur && ids.has(cur) ? null : cur));
    },
    [commit],
  );
  const connect = useCallback((source: string, target: string) => commit((s) => ({ ...s, edges: [...s.edges, { id: `${source}->${target}`, source, target }] })), [commit]);
  const update = useCallback((id: string, data: FlowNodeData) => commit((s) => ({ ...s, nodes: s.nodes.map((n) => (n.id === id ? { ...n, data } : n)) })), [commit]);

  const { nodes, edges } = history.state;
  const selected = useMemo(() => nodes.find((n) => n.id === selectedId), [nodes, selectedId]);
  return { history, nodes, edges, selectedId, selected, select, addNode, remove, connect, update };
}

export type Graph = ReturnType<typeof useGraph>;
