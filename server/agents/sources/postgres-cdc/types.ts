import { parse as parseArray } from "postgres-array";
import type { FlumeEvent } from "../../model";

/**
 * Change events in Debezium's envelope, and the text → JSON mapping of Postgres values shared by
 * both capture modes. Both modes read every value in Postgres's text output format (pgoutput sends
 * text; the polling connection turns the driver's parsers off) so a row reads the same either way.
 */

export type ChangeOp = "c" | "u" | "d" | "r" | "t";

export type Row = Record<string, unknown>;

export interface ChangeSource {
  db: string;
  schema: string;
  table: string;
  /** The change's WAL position (logical mode), null when polling. */
  lsn: number | null;
  txId: number | null;
  /** When the change was committed (logical mode) or read (polling). */
  ts_ms: number;
}

export interface ChangeEnvelope {
  before: Row | null;
  after: Row | null;
  op: ChangeOp;
  source: ChangeSource;
  ts_ms: number;
}

/**
 * Session settings that make the text output unambiguous: UTC timestamps, ISO dates and
 * intervals, and floats printed with every digit needed to read them back exactly.
 */
export const TEXT_SESSION = { TimeZone: "UTC", DateStyle: "ISO, YMD", IntervalStyle: "iso_8601", extra_float_digits: "3" } as const;

/** Type OIDs the postgres.js driver would otherwise parse; the capture reads them as text and maps them itself. */
export const DRIVER_PARSED_OIDS = [16, 17, 20, 21, 23, 26, 114, 700, 701, 1082, 1114, 1184, 3802];

/** A user's mistake in setting up capture (privilege, server setting, missing table): the message says what to do. */
export class CdcSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CdcSetupError";
  }
}

/** Element type of each array type we map to a JSON array; other arrays stay in Postgres's text form. */
const ARRAY_ELEMENT: Record<number, number> = {
  1000: 16, 1001: 17, 1005: 21, 1007: 23, 1016: 20, 1021: 700, 1022: 701, 1231: 1700, 1009: 25, 1015: 1043,
  1014: 1042, 1182: 1082, 1115: 1114, 1185: 1184, 199: 114, 3807: 3802, 2951: 2950, 1183: 1083, 1187: 1186,
};

/** Postgres text output of a value of type `oid` → its JSON value. */
export function decodeText(oid: number, text: string): unknown {
  switch (oid) {
    case 16:
      return text === "t";
    case 21:
    case 23:
    case 26:
      return Number(text);
    case 20: {
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : text; // beyond 2^53 a JSON number would lose digits
    }
    case 700:
    case 701: {
      const n = Number(text);
      return Number.isFinite(n) ? n : text; // NaN and ±Infinity have no JSON number
    }
    case 114:
    case 3802:
      return JSON.parse(text);
    case 17:
      return Buffer.from(text.slice(2), "hex").toString("base64");
    case 1114:
      return isoTimestamp(text, false);
    case 1184:
      return isoTimestamp(text, true);
    default: {
      const el = ARRAY_ELEMENT[oid];
      if (el !== undefined) return parseArray(text, (s) => decodeText(el, s));
      return text; // numeric, money, text, uuid, date, time, interval (ISO-8601 by the session), enums…
    }
  }
}

/** "2024-01-02 03:04:05.1+00" → "2024-01-02T03:04:05.1Z"; "infinity" and BC dates stay as Postgres prints them. */
function isoTimestamp(text: string, zoned: boolean): string {
  if (text.length < 19 || text[10] !== " ") return text;
  const t = `${text.slice(0, 10)}T${text.slice(11)}`;
  if (!zoned) return t;
  // The session runs in UTC, so the offset is "+00"; other offsets are widened to ±HH:MM.
  const m = /([+-])(\d\d)(?::?(\d\d))?(?::(\d\d))?$/.exec(t);
  if (!m) return t;
  if (m[2] === "00" && (m[3] ?? "00") === "00" && (m[4] ?? "00") === "00") return `${t.slice(0, m.index)}Z`;
  return `${t.slice(0, m.index)}${m[1]}${m[2]}:${m[3] ?? "00"}`;
}

/** Decodes a row of text values by the column types. */
export function decodeRow(columns: readonly { name: string; oid: number }[], raw: Record<string, unknown>): Row {
  const row: Row = {};
  for (const c of columns) {
    const v = raw[c.name];
    if (v === undefined) continue; // an unchanged TOAST value that the server did not resend
    row[c.name] = v === null ? null : decodeText(c.oid, v as string);
  }
  return row;
}

/** The event key: the primary key's columns as JSON, in key order, so a compacted topic keeps one record per row. */
export function keyOf(keyColumns: readonly string[], row: Row | null): string | undefined {
  if (!row || keyColumns.length === 0) return undefined;
  const key: Row = {};
  for (const k of keyColumns) key[k] = row[k] ?? null;
  return JSON.stringify(key);
}

/** A change as a Flume event: the envelope as JSON body, the key and the table and op in headers. */
export function changeEvent(env: ChangeEnvelope, key: string | undefined): FlumeEvent {
  const headers: Record<string, string> = { table: `${env.source.schema}.${env.source.table}`, op: env.op };
  if (key !== undefined) headers.key = key;
  return { headers, body: Buffer.from(JSON.stringify(env)) };
}

/** "16/B374D848" → 0x16B374D848. */
export function parseLsn(lsn: string): bigint {
  const [hi, lo] = lsn.split("/");
  if (hi === undefined || lo === undefined) throw new Error(`not an LSN: ${lsn}`);
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** Double-quotes an identifier; "schema.table" becomes "schema"."table". */
export function quoteName(name: string): string {
  return name.split(".").map((p) => `"${p.replace(/"/g, '""')}"`).join(".");
}
