"use client";
import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import { formatCount } from "@/components/format";
import type { FlowNodeData, NodeIssue } from "./graph";
import { fillLevel, type NodeLive } from "./live";

export type ComponentNodeData = FlowNodeData & { issues: NodeIssue[]; warnings: NodeIssue[]; live: NodeLive | null };
export type ComponentNode = Node<ComponentNodeData, "component">;

const ACCEPTS_INPUT = new Set(["source", "channel", "sink", "sinkgroup"]);
const HAS_OUTPUT = new Set(["source", "channel", "interceptor", "selector", "sink"]);
const KIND_LABEL: Record<string, string> = { sinkgroup: "sink group" };

export const plural = (n: number, word: string) => `${formatCount(n)} ${word}${n === 1 ? "" : "s"}`;
const rate = (n: number) => `${formatCount(Math.round(n * 10) / 10)}/s`;

/** A component on the canvas: kind, name and type; its problems; and, once deployed, its live numbers. */
export function ComponentNodeView({ data, selected }: NodeProps<ComponentNode>) {
  const { kind, name, type, issues, warnings, live } = data;
  const failed = live?.state === "failed" || live?.state === "backing_off" || (live?.errors.length ?? 0) > 0;
  const cls = ["flow-node", `kind-${kind}`, selected ? "selected" : "", issues.length ? "has-issues" : "", failed ? "has-errors" : ""].join(" ");
  return (
    <div className={cls} data-testid={`node-${kind}-${name}`} aria-label={`${kind} ${name}`}>
      {ACCEPTS_INPUT.has(kind) && <Handle type="target" position={Position.Left} data-testid={`in-${kind}-${name}`} />}
      <div className="flow-node-head">
        <span className="flow-node-kind">{KIND_LABEL[kind] ?? kind}</span>
        <span className="flow-node-type">{type}</span>
      </div>
      <div className="flow-node-name">{name}</div>
      {live && (
        <div className="flow-node-live" data-testid={`live-${kind}-${name}`}>
          <span title="events per second in">in {rate(live.inRate)}</span>
          <span title="events per second out">out {rate(live.outRate)}</span>
          <span className="flow-node-total" title="events through this component since it started" data-testid={`total-${kind}-${name}`}>
            {plural(live.total, "event")}
          </span>
          {live.fill !== null && (
            <div className={`fill fill-${fillLevel(live.fill)}`} title={`channel ${live.fill.toFixed(1)} % full`}>
              <div style={{ width: `${Math.min(100, Math.max(live.fill, 1))}%` }} />
              <span>{live.fill.toFixed(live.fill < 10 ? 1 : 0)} % full</span>
            </div>
          )}
          {live.deadLetters > 0 && (
            <span className="badge denied" title="events too large for their topic, set aside in the sink's dead-letter file or topic" data-testid={`dead-letters-${kind}-${name}`}>
              {plural(live.deadLetters, "dead letter")}
            </span>
          )}
          {live.state && live.state !== "running" && <span className="badge error">{live.state}</span>}
        </div>
      )}
      {issues.length > 0 && (
        <ul className="flow-node-issues" role="alert">
          {issues.slice(0, 3).map((i) => (
            <li key={`${i.property}:${i.message}`}>{i.property ? `${i.property}: ${i.message}` : i.message}</li>
          ))}
          {issues.length > 3 && <li>…and {issues.length - 3} more</li>}
        </ul>
      )}
      {warnings.length > 0 && (
        <ul className="flow-node-issues flow-node-warnings" role="status">
          {warnings.map((w) => (
            <li key={w.message}>{w.message}</li>
          ))}
        </ul>
      )}
      {HAS_OUTPUT.has(kind) && <Handle type="source" position={Position.Right} data-testid={`out-${kind}-${name}`} />}
    </div>
  );
}
