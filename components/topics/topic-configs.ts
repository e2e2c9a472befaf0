/** The topic configs most people set, with what they do, and the presets the create form offers. */
export interface CommonConfig {
  name: string;
  label: string;
  help: string;
  kind: "ms" | "bytes" | "choice" | "number";
  choices?: string[];
  placeholder: string;
}

export const COMMON_CONFIGS: CommonConfig[] = [
  { name: "cleanup.policy", label: "Cleanup policy", kind: "choice", choices: ["delete", "compact", "compact,delete"], placeholder: "delete", help: "delete: drop old segments by time or size. compact: keep the latest record per key (changelogs, tables)." },
  { name: "retention.ms", label: "Retention time", kind: "ms", placeholder: "604800000", help: "How long records are kept before their segment may be deleted; -1 keeps them forever." },
  { name: "retention.bytes", label: "Retention size per partition", kind: "bytes", placeholder: "-1", help: "Oldest segments are deleted while a partition is larger than this; -1 means no size limit." },
  { name: "max.message.bytes", label: "Largest batch", kind: "bytes", placeholder: "1048588", help: "The largest record batch a producer may send to this topic." },
  { name: "segment.bytes", label: "Segment size", kind: "bytes", placeholder: "1073741824", help: "Log files roll at this size; retention and compaction work on whole segments." },
  { name: "min.compaction.lag.ms", label: "Min. compaction lag", kind: "ms", placeholder: "0", help: "Compacted topics: records younger than this are never compacted away." },
  { name: "message.timestamp.type", label: "Timestamp type", kind: "choice", choices: ["CreateTime", "LogAppendTime"], placeholder: "CreateTime", help: "Keep the producer's timestamps, or stamp records with the broker's time on arrival." },
];

export interface Preset {
  id: string;
  label: string;
  configs: Record<string, string>;
}

const DAY = 24 * 3600 * 1000;

export const PRESETS: Preset[] = [
  { id: "logs", label: "Logs: delete after 7 days", configs: { "cleanup.policy": "delete", "retention.ms": String(7 * DAY) } },
  { id: "changelog", label: "Changelog: compacted", configs: { "cleanup.policy": "compact", "min.compaction.lag.ms": "0" } },
  { id: "events", label: "Events: 30 days, 10 GiB per partition", configs: { "cleanup.policy": "delete", "retention.ms": String(30 * DAY), "retention.bytes": String(10 * 1024 ** 3) } },
  { id: "scratch", label: "Scratch: delete after 1 hour", configs: { "cleanup.policy": "delete", "retention.ms": String(3600 * 1000) } },
];

/** Whole days or hours stay whole ("7 d", "1 h"); anything else reads as a duration. */
export function humanMs(ms: number, duration: (ms: number) => string): string {
  const H = 3600 * 1000;
  if (ms >= 24 * H && ms % (24 * H) === 0) return `${ms / (24 * H)} d`;
  if (ms >= H && ms % H === 0) return `${ms / H} h`;
  return duration(ms);
}

/** A config value as people read it: "7 d" for retention.ms=604800000, "1.00 GiB" for bytes. */
export function describeValue(name: string, value: string | null, fmt: { duration: (ms: number) => string; bytes: (n: number) => string }): string | null {
  if (value === null || value === "") return null;
  const n = Number(value);
  if (!Number.isFinite(n)) return null;
  if (n === -1 && (name.endsWith(".ms") || name.endsWith(".bytes"))) return name.endsWith(".ms") ? "forever" : "no limit";
  if (name.endsWith(".ms") && n > 0 && n < 9e15) return humanMs(n, fmt.duration);
  if (name.endsWith(".bytes") && n > 0 && n < 9e15) return fmt.bytes(n);
  return null;
}

export interface ConfigChange {
  name: string;
  before: string | null;
  after: string | null;
}

/** What applying `after` as the topic's overrides changes; null means "back to the default". */
export function diffOverrides(before: Record<string, string>, after: Record<string, string>): ConfigChange[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names.filter((n) => before[n] !== after[n]).map((n) => ({ name: n, before: before[n] ?? null, after: after[n] ?? null }));
}


const MS_UNITS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
for (const [word, unit] of [["second", "s"], ["minute", "min"], ["hour", "h"], ["day", "d"], ["week", "w"]] as const) MS_UNITS[word] = MS_UNITS[`${word}s`] = MS_UNITS[unit];
const BYTE_UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * A duration or size as people type it ("7d", "12 h", "1 GiB", "500MB", "-1"), as the plain number
 * Kafka stores. A bare number is taken as is (milliseconds, bytes); -1 is Kafka's "forever" / "no limit".
 */
export function parseWithUnit(kind: "ms" | "bytes", text: string): { value: string } | { error: string } {
  const t = text.trim().toLowerCase();
  if (t === "-1" || t === "forever" || t === "no limit" || t === "unlimited") return { value: "-1" };
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/.exec(t);
  const units = kind === "ms" ? MS_UNITS : BYTE_UNITS;
  const scale = m ? (m[2] === "" ? 1 : units[m[2]]) : undefined;
  if (!m || scale === undefined) {
    const examples = kind === "ms" ? "7d, 12h, 30min, 500ms or -1 for forever" : "1 GiB, 500 MiB, 10GB or -1 for no limit";
    return { error: `"${text.trim()}" is not a ${kind === "ms" ? "duration" : "size"}; write e.g. ${examples}` };
  }
  const n = Number(m[1]) * scale;
  if (!Number.isSafeInteger(Math.round(n))) return { error: `"${text.trim()}" is too large` };
  return { value: String(Math.round(n)) };
}

/** How a topic config is edited: its values' type, as Kafka's topic-level config reference gives them. */
export type ConfigControl = { kind: "enum"; choices: string[] } | { kind: "boolean" } | { kind: "ms" } | { kind: "bytes" } | { kind: "text" };

const ENUMS: Record<string, string[]> = {
  "cleanup.policy": ["delete", "compact", "compact,delete"],
  "compression.type": ["producer", "uncompressed", "zstd", "lz4", "snappy", "gzip"],
  "message.timestamp.type": ["CreateTime", "LogAppendTime"],
};
const BOOLEANS = new Set(["unclean.leader.election.enable", "preallocate", "message.downconversion.enable", "remote.storage.enable", "remote.log.copy.disable", "remote.log.delete.on.disable"]);

export function controlOf(name: string): ConfigControl {
  if (ENUMS[name]) return { kind: "enum", choices: ENUMS[name] };
  if (BOOLEANS.has(name)) return { kind: "boolean" };
  if (name.endsWith(".ms")) return { kind: "ms" };
  if (name.endsWith(".bytes")) return { kind: "bytes" };
  return { kind: "text" };
}
