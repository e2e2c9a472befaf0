"use client";
import { useCallback, useEffect, useMemo, useState } from "react";
import type { GraphEdge, GraphNode } from "./graph";

export interface Snapshot {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

interface Timeline {
  past: Snapshot[];
  present: Snapshot;
  future: Snapshot[];
}

/** How many undo steps are kept. */
const DEPTH = 100;
const pushed = (past: Snapshot[], s: Snapshot) => [...past.slice(-(DEPTH - 1)), s];

/** Undo/redo over whole snapshots: flows are small, and a snapshot can never be half-applied. */
export function useHistory(initial: Snapshot) {
  const [t, setT] = useState<Timeline>({ past: [], present: initial, future: [] });
  /** An undoable change. */
  const commit = useCallback((next: Snapshot | ((s: Snapshot) => Snapshot)) => {
    setT((h) => ({ past: pushed(h.past, h.present), present: typeof next === "function" ? next(h.present) : next, future: [] }));
  }, []);
  /** A change that is not an undo step of its own (a drag in progress, a measured size). */
  const replace = useCallback((next: (s: Snapshot) => Snapshot) => setT((h) => ({ ...h, present: next(h.present) })), []);
  /** Records a snapshot taken before a gesture (a drag) as one undo step. */
  const remember = useCallback((snap: Snapshot) => setT((h) => ({ ...h, past: pushed(h.past, snap), future: [] })), []);
  const undo = useCallback(
    () => setT((h) => (h.past.length ? { past: h.past.slice(0, -1), present: h.past[h.past.length - 1], future: [...h.future, h.present] } : h)),
    [],
  );
  const redo = useCallback(
    () => setT((h) => (h.future.length ? { past: [...h.past, h.present], present: h.future[h.future.length - 1], future: h.future.slice(0, -1) } : h)),
    [],
  );
  return useMemo(
    () => ({ state: t.present, commit, replace, remember, undo, redo, canUndo: t.past.length > 0, canRedo: t.future.length > 0 }),
    [t, commit, replace, remember, undo, redo],
  );
}

export type History = ReturnType<typeof useHistory>;

/** Ctrl/Cmd+Z undoes, Ctrl/Cmd+Shift+Z and Ctrl/Cmd+Y redo — except while typing in a field. */
export function useUndoKeys({ undo, redo }: Pick<History, "undo" | "redo">) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || (e.target as HTMLElement).closest("input, textarea, select")) return;
      const key = e.key.toLowerCase();
      if (key !== "z" && key !== "y") return;
      e.preventDefault();
      if (key === "z" && !e.shiftKey) undo();
      else redo();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [undo, redo]);
}
