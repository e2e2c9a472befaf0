"use client";
import { downloadText } from "@/components/download";
import { trpc } from "@/components/trpc";
import { emptyFlowProblem, type FlowDefinition } from "./graph";
import type { Draft } from "./use-draft";
import type { History } from "./use-history";

export interface SavedFlow {
  flowId?: number;
  flowName?: string;
  savedVersion?: number;
}

/** Name or title, undo/redo, import and export, whether the flow is valid, and saving a version. */
export function Toolbar({ flow, draft, history, definition, problems, validating, canEdit, onImport }: { flow: SavedFlow; draft: Draft; history: History; definition: FlowDefinition; problems: number; validating: boolean; canEdit: boolean; onImport: () => void }) {
  const { flowId, flowName, savedVersion } = flow;
  const utils = trpc.useUtils();
  const { name, dirty } = draft;
  const isNew = flowId === undefined;
  const exportProps = async () => {
    if (!flowId || !savedVersion) return;
    const text = await utils.flows.exportProperties.fetch({ flowId, version: savedVersion, agent: "a1" });
    downloadText(`${flowName}-v${savedVersion}.properties`, text, "text/plain");
  };
  const exportJson = () => downloadText(`${flowName ?? (name || "flow")}.json`, JSON.stringify({ ...definition, name: flowName ?? name }, null, 2), "application/json");
  const empty = emptyFlowProblem(definition);
  const blocked = !canEdit || problems > 0 || !!empty || validating || draft.saving || (isNew ? !name : !dirty || !draft.message);
  const why = !canEdit ? "Operators and admins save flows" : problems ? "Fix the problems marked on the canvas first" : empty ? empty : !isNew && !draft.message ? "Say what changed" : undefined;

  return (
    <div className="designer-toolbar">
      {isNew ? (
        <label>
          Flow name <input aria-label="Flow name" value={name} onChange={(e) => draft.setName(e.target.value)} placeholder="e.g. web-logs" />
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
      <button type="button" onClick={onImport} disabled={!canEdit}>
        Import .properties
      </button>
      <button type="button" onClick={exportJson}>
        Export JSON
      </button>
      <button type="button" onClick={() => void exportProps()} disabled={!savedVersion || dirty} title={dirty ? "Save first: .properties are exported from a saved version" : undefined}>
        Export .properties
      </button>
      <span className="spacer" />
      <span className={`validity ${problems ? "bad" : empty ? "empty" : "ok"}`} role="status" data-testid="validity">
        {validating ? "Checking…" : problems ? `${problems} problem${problems === 1 ? "" : "s"} to fix` : (empty ?? "Valid")}
      </span>
      <input aria-label="Version message" placeholder={isNew ? "First version" : "What changed?"} value={draft.message} onChange={(e) => draft.setMessage(e.target.value)} />
      <button type="button" className="primary" disabled={blocked} title={why} onClick={() => void draft.save().catch(() => undefined)}>
        {isNew ? "Create flow" : "Save version"}
      </button>
    </div>
  );
}
