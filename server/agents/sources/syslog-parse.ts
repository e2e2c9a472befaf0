import type { FlumeEvent } from "../model";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const RFC5424 = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]\\]|\\.)*\])+) ?(.*)$/s;
const RFC3164 = /^<(\d{1,3})>([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\S+) ?(.*)$/s;

/**
 * Parses one syslog message into Flume's headers (Facility, Severity, timestamp in epoch ms, host;
 * for RFC 5424 also appName, procId, msgId and structuredData) with the message as body. A line
 * that is neither format keeps its whole text as body and gets flume.syslog.status = Invalid, as in Flume.
 */
export function parseSyslog(line: string, now = new Date()): FlumeEvent {
  let m = RFC5424.exec(line);
  if (m) {
    const pri = Number(m[1]);
    const headers: Record<string, string> = { Facility: String(pri >> 3), Severity: String(pri & 7) };
    const ts = Date.parse(m[2]);
    if (!Number.isNaN(ts)) headers.timestamp = String(ts);
    if (m[3] !== "-") headers.host = m[3]!;
    if (m[4] !== "-") headers.appName = m[4]!;
    if (m[5] !== "-") headers.procId = m[5]!;
    if (m[6] !== "-") headers.msgId = m[6]!;
    if (m[7] !== "-") headers.structuredData = m[7]!;
    return { headers, body: Buffer.from(m[8].replace(/^\uFEFF/, "")) };
  }
  m = RFC3164.exec(line);
  if (m && MONTHS.includes(m[2])) {
    const pri = Number(m[1]);
    // RFC 3164 has no year: take the current one, or last year's for a December message read in January.
    let d = new Date(now.getFullYear(), MONTHS.indexOf(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
    if (d.getTime() - now.getTime() > 24 * 3600 * 1000) d = new Date(d.setFullYear(now.getFullYear() - 1));
    return { headers: { Facility: String(pri >> 3), Severity: String(pri & 7), timestamp: String(d.getTime()), host: m[7] }, body: Buffer.from(m[8]) };
  }
  return { headers: { "flume.syslog.status": "Invalid" }, body: Buffer.from(line) };
}
