import { Counter, Gauge, Histogram, type Labels, type MetricsRegistry } from "./registry";

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function renderLabels(labels: Labels, extra?: [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function num(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** The Prometheus text exposition format (version 0.0.4) of every metric in the registry. */
export function renderPrometheus(registry: MetricsRegistry): string {
  const out: string[] = [];
  for (const [name, fam] of registry.families) {
    if (fam.members.size === 0) continue;
    out.push(`# HELP ${name} ${fam.help}`, `# TYPE ${name} ${fam.kind}`);
    for (const m of fam.members.values()) {
      if (m instanceof Counter) out.push(`${name}${renderLabels(m.labels)} ${num(m.value)}`);
      else if (m instanceof Gauge) out.push(`${name}${renderLabels(m.labels)} ${num(m.get())}`);
      else if (m instanceof Histogram) {
        let cumulative = 0;
        m.bounds.forEach((b, i) => {
          cumulative += m.counts[i];
          out.push(`${name}_bucket${renderLabels(m.labels, ["le", num(b)])} ${cumulative}`);
        });
        out.push(`${name}_bucket${renderLabels(m.labels, ["le", "+Inf"])} ${m.count}`);
        out.push(`${name}_sum${renderLabels(m.labels)} ${num(m.sum)}`);
        out.push(`${name}_count${renderLabels(m.labels)} ${m.count}`);
      }
    }
  }
  return out.join("\n") + "\n";
}
