import type { FlowConfig } from "../flow";
import { escapeValue } from "./properties";

/**
 * Writes a flow as a Flume-style .properties file under `<agent>.`, with our type and property
 * names (which importFlumeProperties reads back unchanged). Map properties are written as Flume
 * writes taildir's file groups: `prop = a b` then `prop.a = …`.
 */
export function exportFlumeProperties(flow: FlowConfig, agent: string): string {
  const lines: string[] = [];
  const put = (k: string, v: unknown) => lines.push(`${agent}.${k} = ${escapeValue(Array.isArray(v) ? v.join(" ") : String(v))}`);
  const props = (base: string, o: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(o)) {
      if (v === undefined) continue;
      if (typeof v === "object" && v !== null && !Array.isArray(v)) {
        const entries = Object.entries(v as Record<string, unknown>);
        if (entries.length === 0) continue;
        put(`${base}.${k}`, entries.map(([n]) => n));
        for (const [n, x] of entries) put(`${base}.${k}.${n}`, x);
      } else {
        put(`${base}.${k}`, v);
      }
    }
  };
  put("sources", Object.keys(flow.sources));
  put("channels", Object.keys(flow.channels));
  put("sinks", Object.keys(flow.sinks));
  for (const [n, s] of Object.entries(flow.sources)) {
    const { interceptors, selector, ...rest } = s;
    props(`sources.${n}`, rest);
    if (interceptors.length > 0) {
      const names = interceptors.map((_, i) => `i${i + 1}`);
      put(`sources.${n}.interceptors`, names);
      interceptors.forEach((ic, i) => props(`sources.${n}.interceptors.${names[i]}`, ic));
    }
    put(`sources.${n}.selector.type`, selector.type);
    if (selector.type === "replicating") {
      if (selector.optional.length > 0) put(`sources.${n}.selector.optional`, selector.optional);
    } else {
      put(`sources.${n}.selector.header`, selector.header);
      for (const [v, cs] of Object.entries(selector.mapping)) put(`sources.${n}.selector.mapping.${v}`, cs);
      for (const [v, cs] of Object.entries(selector.optional)) put(`sources.${n}.selector.optional.${v}`, cs);
      if (selector.default.length > 0) put(`sources.${n}.selector.default`, selector.default);
    }
  }
  for (const [n, c] of Object.entries(flow.channels)) props(`channels.${n}`, c);
  for (const [n, s] of Object.entries(flow.sinks)) props(`sinks.${n}`, s);
  const groups = Object.entries(flow.sinkgroups);
  if (groups.length > 0) put("sinkgroups", groups.map(([g]) => g));
  for (const [g, { sinks, processor }] of groups) {
    put(`sinkgroups.${g}.sinks`, sinks);
    put(`sinkgroups.${g}.processor.type`, processor.type);
    if (processor.type === "failover") {
      for (const [k, p] of Object.entries(processor.priority)) put(`sinkgroups.${g}.processor.priority.${k}`, p);
      put(`sinkgroups.${g}.processor.maxpenalty`, processor.maxpenalty);
    } else if (processor.type === "load_balance") {
      put(`sinkgroups.${g}.processor.selector`, processor.selector);
      put(`sinkgroups.${g}.processor.backoff`, processor.backoff);
      put(`sinkgroups.${g}.processor.selector.maxTimeOut`, processor["selector.maxTimeOut"]);
    }
  }
  return `${lines.join("\n")}\n`;
}
