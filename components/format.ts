/** Numbers as people read them: 1.2 M, 3.4 GiB, "5 min ago". One place so every page says it the same way. */

const SI = ["", " k", " M", " G", " T", " P"];

export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return "–";
  const sign = n < 0 ? "-" : "";
  let v = Math.abs(n);
  if (v < 1000) return sign + (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1));
  let i = 0;
  while (v >= 1000 && i < SI.length - 1) {
    v /= 1000;
    i++;
  }
  return `${sign}${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)}${SI[i]}`;
}

const IEC = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return "–";
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < IEC.length - 1) {
    v /= 1024;
    i++;
  }
  const digits = i === 0 ? 0 : v < 10 ? 2 : v < 100 ? 1 : 0;
  return `${n < 0 ? "-" : ""}${v.toFixed(digits)} ${IEC[i]}`;
}

export function formatRate(perSecond: number, unit = "rec"): string {
  return `${formatCount(perSecond)} ${unit}/s`;
}

export function formatBytesRate(perSecond: number): string {
  return `${formatBytes(perSecond)}/s`;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

export function timeAgo(at: Date | string | number, now = Date.now()): string {
  const ms = now - new Date(at).getTime();
  if (ms < 0) return "in the future";
  if (ms < 5000) return "just now";
  return `${formatDuration(ms)} ago`;
}

/** Where the console shows times: the browser's zone, or UTC to compare with server logs. */
export type TimeZone = "local" | "utc";

/** The zone's name as it follows every time: "UTC" or the local offset ("UTC+01:00"). */
export function zoneLabel(zone: TimeZone, at: Date | string | number = Date.now()): string {
  if (zone === "utc") return "UTC";
  const off = -new Date(at).getTimezoneOffset();
  const pad = (n: number) => String(n).padStart(2, "0");
  return `UTC${off < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
}

/** The console's one time format: 2026-05-01 14:03:07.250 UTC, with the zone always named. */
export function formatTimestamp(at: Date | string | number, zone: TimeZone = "local"): string {
  const d = new Date(at);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const [y, mo, day, h, mi, sec, ms] =
    zone === "utc"
      ? [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()]
      : [d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds()];
  return `${y}-${pad(mo + 1)}-${pad(day)} ${pad(h)}:${pad(mi)}:${pad(sec)}.${pad(ms, 3)} ${zoneLabel(zone, d)}`;
}
