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
  { name: "retention.ms", label: "Retention time (ms)", kind: "ms", placeholder: "604800000", help: "How long records are kept before their segment may be deleted; -1 keeps them forever." },
  { name: "retention.bytes", label: "Retention size per partition (bytes)", kind: "bytes", placeholder: "-1", help: "Oldest segments are deleted while a partition is larger than this; -1 means no size limit." },
  { name: "max.message.bytes", label: "Largest batch (bytes)", kind: "bytes", placeholder: "1048588", help: "The largest record batch a producer may send to this topic." },
  { name: "segment.bytes", label: "Segment size (bytes)", kind: "bytes", placeholder: "1073741824", help: "Log files roll at this size; retention and compaction work on whole segments." },
  { name: "min.compaction.lag.ms", label: "Min. compaction lag (ms)", kind: "ms", placeholder: "0", help: "Compacted topics: records younger than this are never compacted away." },
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

