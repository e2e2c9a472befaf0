/**
 * The canvas ↔ flow JSON mapping. The canvas holds sources, interceptors, selectors, channels, sinks
 * and sink groups as nodes; edges say which channels a source puts into, which channel a sink takes
 * from, which interceptors (top to bottom) and selector a source uses, and which sinks (in the order
 * they were connected) share a sink group's processor. The flow JSON is what the runtime
 * validates and runs; the designer keeps no other model.
 */

export type NodeKind = "source" | "interceptor" | "selector" | "channel" | "sink" | "sinkgroup";

export interface FlowNodeData extends Record<string, unknown> {
  kind: NodeKind;
  /** Component name, unique per kind among sources, channels, sinks and sink groups. */
  name: string;
  /** The component's type; for a sink group, its processor's type. */
  type: string;
  /** Properties the user set; unset ones take the schema's defaults. */
  props: Record<string, unknown>;
}

export interface GraphNode {
  id: string;
  position: { x: number; y: number };
  data: FlowNodeData;
  /** Size the canvas measured; it draws a node only once it is known. */
  measured?: { width?: number; height?: number };
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
}

export interface FlowDefinition {
  name?: string;
  sources: Record<string, Record<string, unknown>>;
  channels: Record<string, Record<string, unknown>>;
  sinks: Record<string, Record<string, unknown>>;
  sinkgroups?: Record<string, { sinks: string[]; processor: Record<string, unknown> }>;
  /** Node positions by "kind:name", so a saved flow reopens as it was drawn; the runtime ignores it. */
  layout?: Record<string, { x: number; y: number }>;
}

/** Why a flow moves nothing, or null: an empty canvas parses without errors, but it is not a flow to save or deploy. */
export function emptyFlowProblem(d: FlowDefinition): string | null {
  const missing = (["sources", "channels", "sinks"] as const).filter((k) => Object.keys(d[k]).length === 0);
  if (missing.length < 3) return null;
  return "Empty: drag a source, a channel and a sink onto the canvas";
}

export interface NodeIssue {
  /** Node the problem belongs to; null for a problem of the whole flow. */
  nodeId: string | null;
  /** The property at fault, when there is one, so the side panel can show it under the field. */
  property: string | null;
  message: string;
}

/** Which node kinds an edge may join, from → to. */
export const CONNECTIONS: Record<NodeKind, NodeKind | null> = {
  source: "channel",
  channel: "sink",
  interceptor: "source",
  selector: "source",
  sink: "sinkgroup",
  sinkgroup: null,
};

export function canConnect(from: NodeKind, to: NodeKind): boolean {
  return CONNECTIONS[from] === to;
}

const KEY: Record<"source" | "channel" | "sink" | "sinkgroup", "sources" | "channels" | "sinks" | "sinkgroups"> = { source: "sources", channel: "channels", sink: "sinks", sinkgroup: "sinkgroups" };

/**
 * The flow JSON the canvas describes, plus the problems only the graph shows (a sink on two
 * channels, an interceptor on no source); everything else is left for the server's parse to name.
 */
export function toFlow(nodes: GraphNode[], edges: GraphEdge[]): { definition: FlowDefinition; issues: NodeIssue[] } {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const issues: NodeIssue[] = [];
  const def: FlowDefinition = { sources: {}, channels: {}, sinks: {}, layout: {} };
  const groups: NonNullable<FlowDefinition["sinkgroups"]> = {};
  const into = (id: string) => edges.filter((e) => e.target === id).map((e) => byId.get(e.source)).filter((n): n is GraphNode => !!n);
  const outOf = (id: string) => edges.filter((e) => e.source === id).map((e) => byId.get(e.target)).filter((n): n is GraphNode => !!n);

  for (const n of nodes) {
    const d = n.data;
    if (d.kind === "interceptor" || d.kind === "selector") {
      const targets = outOf(n.id);
      if (targets.length === 0) issues.push({ nodeId: n.id, property: null, message: `connect this ${d.kind} to a source` });
      if (targets.length > 1) issues.push({ nodeId: n.id, property: null, message: `a ${d.kind} belongs to one source; remove ${targets.length - 1} of its connections` });
      continue;
    }
    const key = KEY[d.kind];
    if (!d.name.trim()) {
      issues.push({ nodeId: n.id, property: "name", message: "give this component a name" });
      continue;
    }
    if ((key === "sinkgroups" ? groups : def[key])[d.name]) {
      issues.push({ nodeId: n.id, property: "name", message: `another ${d.kind} is named "${d.name}"; names must be unique` });
      continue;
    }
    def.layout![`${d.kind}:${d.name}`] = { x: Math.round(n.position.x), y: Math.round(n.position.y) };
    const entry: Record<string, unknown> = { type: d.type, ...d.props };
    if (d.kind === "source") {
      const channels = outOf(n.id).map((c) => c.data.name);
      if (channels.length === 0) issues.push({ nodeId: n.id, property: null, message: "connect this source to at least one channel" });
      entry.channels = channels;
      const ups = into(n.id);
      entry.interceptors = ups
        .filter((u) => u.data.kind === "interceptor")
        .sort((a, b) => a.position.y - b.position.y)
        .map((u) => ({ type: u.data.type, ...u.data.props }));
      const selectors = ups.filter((u) => u.data.kind === "selector");
      if (selectors.length > 1) issues.push({ nodeId: n.id, property: null, message: "a source takes one selector; remove the others" });
      if (selectors[0]) entry.selector = { type: selectors[0].data.type, ...selectors[0].data.props };
    }
    if (d.kind === "sink") {
      const channels = into(n.id);
      if (channels.length === 0) issues.push({ nodeId: n.id, property: null, message: "connect this sink to one channel" });
      if (channels.length > 1) issues.push({ nodeId: n.id, property: null, message: `a sink takes from exactly one channel; remove ${channels.length - 1} of its ${channels.length} connections` });
      entry.channel = channels[0]?.data.name ?? "";
      const inGroups = outOf(n.id).filter((g) => g.data.kind === "sinkgroup");
      if (inGroups.length > 1) issues.push({ nodeId: n.id, property: null, message: `a sink belongs to at most one sink group; remove ${inGroups.length - 1} of its ${inGroups.length} group connections` });
    }
    if (d.kind === "sinkgroup") {
      const sinks = into(n.id).map((k) => k.data.name);
      if (sinks.length === 0) issues.push({ nodeId: n.id, property: null, message: "connect the sinks of this group to it" });
      groups[d.name] = { sinks, processor: { type: d.type, ...d.props } };
      continue;
    }
    def[d.kind === "source" ? "sources" : d.kind === "channel" ? "channels" : "sinks"][d.name] = entry;
  }
  // Left out when there is none, so flows drawn without groups keep the JSON they always had.
  if (Object.keys(groups).length) def.sinkgroups = groups;
  return { definition: def, issues };
}

const COLUMN: Record<NodeKind, number> = { interceptor: 0, selector: 0, source: 260, channel: 540, sink: 820, sinkgroup: 1100 };

/** The canvas for a flow JSON: its saved layout where there is one, otherwise one column per kind. */
export function fromFlow(def: FlowDefinition): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const ids = new Map<string, string>();
  const rows: Record<NodeKind, number> = { interceptor: 0, selector: 0, source: 0, channel: 0, sink: 0, sinkgroup: 0 };
  let seq = 0;
  const add = (kind: NodeKind, name: string, type: string, props: Record<string, unknown>, near?: { x: number; y: number }) => {
    const id = `${kind}-${++seq}`;
    const saved = kind === "interceptor" || kind === "selector" ? undefined : def.layout?.[`${kind}:${name}`];
    const position = saved ?? near ?? { x: COLUMN[kind], y: 40 + rows[kind]++ * 130 };
    nodes.push({ id, position, data: { kind, name, type, props } });
    return id;
  };
  for (const [name, c] of Object.entries(def.channels ?? {})) {
    const { type, ...props } = c;
    ids.set(`channel:${name}`, add("channel", name, String(type), props));
  }
  for (const [name, s] of Object.entries(def.sources ?? {})) {
    const { type, channels, interceptors, selector, ...props } = s as Record<string, unknown> & { channels?: string[]; interceptors?: Record<string, unknown>[]; selector?: Record<string, unknown> };
    const id = add("source", name, String(type), props);
    const pos = nodes[nodes.length - 1].position;
    for (const c of channels ?? []) {
      const cid = ids.get(`channel:${c}`);
      if (cid) edges.push({ id: `${id}->${cid}`, source: id, target: cid });
    }
    (interceptors ?? []).forEach((ic, i) => {
      const { type: t, ...p } = ic;
      const iid = add("interceptor", String(t), String(t), p, { x: pos.x - 240, y: pos.y + i * 90 });
      edges.push({ id: `${iid}->${id}`, source: iid, target: id });
    });
    if (selector && !(selector.type === "replicating" && !(selector.optional as unknown[] | undefined)?.length)) {
      const { type: t, ...p } = selector;
      const sid = add("selector", String(t), String(t), p, { x: pos.x - 240, y: pos.y + (interceptors?.length ?? 0) * 90 });
      edges.push({ id: `${sid}->${id}`, source: sid, target: id });
    }
  }
  for (const [name, s] of Object.entries(def.sinks ?? {})) {
    const { type, channel, ...props } = s;
    const id = add("sink", name, String(type), props);
    ids.set(`sink:${name}`, id);
    const cid = ids.get(`channel:${String(channel)}`);
    if (cid) edges.push({ id: `${cid}->${id}`, source: cid, target: id });
  }
  for (const [name, g] of Object.entries(def.sinkgroups ?? {})) {
    const { type, ...props } = g.processor ?? { type: "default" };
    const id = add("sinkgroup", name, String(type), props);
    for (const k of g.sinks ?? []) {
      const kid = ids.get(`sink:${k}`);
      if (kid) edges.push({ id: `${kid}->${id}`, source: kid, target: id });
    }
  }
  return { nodes, edges };
}

/**
 * Pins the server's issues (paths into the flow JSON, as parseFlow reports them) to nodes:
 * ["sinks","k1","batchSize"] → the sink named k1, property batchSize;
 * ["sources","r1","interceptors",0,…] → that source's first interceptor (top to bottom);
 * ["sinkgroups","g1","processor","maxpenalty"] → the sink group g1, property maxpenalty;
 * ["sinkgroups","g1","sinks"] → the sink group g1, property sinks (its edges).
 */
export function pinIssues(nodes: GraphNode[], edges: GraphEdge[], issues: { path: (string | number)[]; message: string }[]): NodeIssue[] {
  const find = (kind: NodeKind, name: string) => nodes.find((n) => n.data.kind === kind && n.data.name === name);
  return issues.map((i) => {
    const [key, name, ...rest] = i.path;
    const kind = key === "sources" ? "source" : key === "channels" ? "channel" : key === "sinks" ? "sink" : key === "sinkgroups" ? "sinkgroup" : null;
    const node = kind && typeof name === "string" ? find(kind, name) : undefined;
    if (!node) return { nodeId: null, property: null, message: `${i.path.join(".") || "flow"}: ${i.message}` };
    if (kind === "source" && (rest[0] === "interceptors" || rest[0] === "selector")) {
      const ups = edges
        .filter((e) => e.target === node.id)
        .map((e) => nodes.find((n) => n.id === e.source))
        .filter((n): n is GraphNode => !!n && n.data.kind === (rest[0] === "interceptors" ? "interceptor" : "selector"))
        .sort((a, b) => a.position.y - b.position.y);
      const target = rest[0] === "interceptors" ? ups[Number(rest[1])] : ups[0];
      if (target) return { nodeId: target.id, property: rest[0] === "interceptors" ? (rest[2] === undefined ? null : String(rest[2])) : rest[1] === undefined ? null : String(rest[1]), message: i.message };
    }
    // A group's form shows its processor's properties; its sinks are its edges.
    if (kind === "sinkgroup") return { nodeId: node.id, property: rest[0] === "processor" ? (rest[1] === undefined ? null : String(rest[1])) : rest[0] === undefined ? null : String(rest[0]), message: i.message };
    const property = rest[0] === undefined ? null : String(rest[0]);
    return { nodeId: node.id, property, message: i.message };
  });
}

/** A name not yet taken by a node of this kind: r1, r2… for sources, c1… for channels, k1… for sinks, g1… for sink groups (Flume's habit). */
export function freshName(nodes: GraphNode[], kind: NodeKind, type: string): string {
  const prefix = kind === "source" ? "r" : kind === "channel" ? "c" : kind === "sink" ? "k" : kind === "sinkgroup" ? "g" : type;
  if (kind === "interceptor" || kind === "selector") return type;
  for (let i = 1; ; i++) {
    const name = `${prefix}${i}`;
    if (!nodes.some((n) => n.data.kind === kind && n.data.name === name)) return name;
  }
}
