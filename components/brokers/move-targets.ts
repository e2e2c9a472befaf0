/** The reassign form's text: one partition a line, `topic partition brokers`, as `orders 0 3,2`. */
export interface MoveTarget {
  topic: string;
  partition: number;
  replicas: number[];
}

/** Parses the lines, or says which line is wrong and how to write it. */
export function parseTargets(text: string): MoveTarget[] | string {
  const out: MoveTarget[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(\S+)\s+(\d+)\s+(\d+(?:\s*,\s*\d+)*)$/.exec(line);
    if (!m) return `Line ${i + 1}: write the topic, the partition and the target brokers, preferred leader first, e.g. "orders 0 3,2" (found "${line}").`;
    out.push({ topic: m[1], partition: Number(m[2]), replicas: m[3].split(",").map((s) => Number(s.trim())) });
  }
  if (!out.length) return "Name at least one partition to move, e.g. \"orders 0 3,2\".";
  return out;
}

/** A topic's partitions as lines of the form, with their current replicas to edit. */
export function formatTargets(topic: string, partitions: { partition: number; replicas: number[] }[]): string {
  return partitions.map((p) => `${topic} ${p.partition} ${p.replicas.join(",")}`).join("\n");
}
