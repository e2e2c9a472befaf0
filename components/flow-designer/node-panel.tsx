"use client";
import type { FlowNodeData, GraphNode, NodeIssue, NodeKind } from "./graph";
import { LiveDetails, TapView, type Tap } from "./live-details";
import type { NodeLive, RatePoint } from "./live";
import type { Catalog } from "./palette";
import { SchemaForm, type JsonSchema } from "./schema-form";

const CATALOG_KEY: Record<NodeKind, keyof Catalog> = { source: "sources", interceptor: "interceptors", selector: "selectors", channel: "channels", sink: "sinks", sinkgroup: "sinkgroups" };
/** A sink group's form is its processor's: only the processor type is chosen elsewhere (the type list). */
const PROCESSOR_OMIT: ReadonlySet<string> = new Set(["type"]);

interface Props {
  /** Where a tap on this node looks, when the flow runs on the embedded agent. */
  tap: Tap | null;
  node: GraphNode | undefined;
  catalog: Catalog;
  issues: NodeIssue[];
  live: NodeLive | null;
  chart: RatePoint[];
  readOnly: boolean;
  onChange: (data: FlowNodeData) => void;
  onDelete: () => void;
  onSelect: (id: string) => void;
}

/** The selected component's settings (a form from its schema), its problems, and its live numbers. */
export function NodePanel({ node, catalog, issues, live, chart, readOnly, onChange, onDelete, onSelect, tap }: Props) {
  if (!node) return <FlowProblems issues={issues} onSelect={onSelect} />;
  const d = node.data;
  const types = catalog[CATALOG_KEY[d.kind]];
  const entry = types.find((t) => t.type === d.type);
  const schema: JsonSchema | undefined = entry?.schema;
  const mine = issues.filter((i) => i.nodeId === node.id);
  const byProp: Record<string, string[]> = {};
  for (const i of mine) if (i.property) (byProp[i.property] ??= []).push(i.message);
  const named = d.kind !== "interceptor" && d.kind !== "selector";
  const kindLabel = d.kind === "sinkgroup" ? "sink group" : d.kind;
  return (
    <div className="panel-body" data-testid="node-panel">
      <h3>
        {kindLabel} <span className="muted">{d.type}</span>
      </h3>
      {named && (
        <div className={`field ${byProp.name ? "invalid" : ""}`}>
          <label htmlFor="node-name">name</label>
          <input id="node-name" readOnly={readOnly} value={d.name} onChange={(e) => onChange({ ...d, name: e.target.value.replace(/[^a-zA-Z0-9_-]/g, "") })} />
          {(byProp.name ?? []).map((m) => (
            <small key={m} className="error-text">
              {m}
            </small>
          ))}
        </div>
      )}
      <div className="field">
        <label htmlFor="node-type">{d.kind === "sinkgroup" ? "processor" : "type"}</label>
        <select id="node-type" disabled={readOnly} value={d.type} onChange={(e) => onChange({ ...d, type: e.target.value, name: named ? d.name : e.target.value })}>
          {types.map((t) => (
            <option key={t.type} value={t.type}>
              {t.type}
            </option>
          ))}
        </select>
        {entry?.description && <small className="help">{entry.description}</small>}
      </div>
      {mine.filter((i) => !i.property || (!(i.property in (schema?.properties ?? {})) && i.property !== "name")).map((i) => (
        <p key={i.message} className="error-text" role="alert">
          {i.property ? `${i.property}: ` : ""}
          {i.message}
        </p>
      ))}
      {live && <LiveDetails live={live} chart={chart} />}
      {live && tap && <TapView {...tap} canOpen={!readOnly} />}
      {live && <h3>Settings</h3>}
      {entry ? (
        <SchemaForm schema={entry.schema} values={d.props} errors={byProp} readOnly={readOnly} omit={d.kind === "sinkgroup" ? PROCESSOR_OMIT : undefined} onChange={(props) => onChange({ ...d, props })} />
      ) : (
        <p className="error-text">Unknown type “{d.type}” in this build; choose one from the list.</p>
      )}
      {!readOnly && (
        <button type="button" className="danger" onClick={onDelete}>
          Delete {kindLabel}
        </button>
      )}
    </div>
  );
}

/** With nothing selected: how to draw a flow, and every problem in it, each a link to its node. */
function FlowProblems({ issues, onSelect }: { issues: NodeIssue[]; onSelect: (id: string) => void }) {
  return (
    <div className="panel-body">
      <p className="muted">Select a component to configure it. Connect sources → channels → sinks; interceptors and selectors connect into a source; sinks that share a failover or load balancing processor connect into a sink group.</p>
      {issues.length > 0 && (
        <>
          <h3>Problems</h3>
          <ul className="issue-list">
            {issues
              .filter((i) => i.nodeId === null)
              .map((i) => (
                <li key={i.message} className="error-text">
                  {i.message}
                </li>
              ))}
            {issues.flatMap(({ nodeId, property, message }) =>
              nodeId === null
                ? []
                : [
                    <li key={`${nodeId}:${property}:${message}`}>
                      <button type="button" className="link" onClick={() => onSelect(nodeId)}>
                        {nodeId}
                      </button>{" "}
                      <span className="error-text">{property ? `${property}: ` : ""}{message}</span>
                    </li>,
                  ],
            )}
          </ul>
        </>
      )}
    </div>
  );
}
