import { type FileHandle, mkdir, open, rename } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzip as gzipCb } from "node:zlib";
import { z } from "zod";
import { type Sink, SinkCounters, defineComponent } from "../component";
import { logger } from "../../log";
import type { FlumeEvent } from "../model";

const log = logger("agents.file-roll");

export const fileRollSinkSchema = z.object({
  type: z.literal("file_roll"),
  channel: z.string(),
  directory: z.string().min(1).describe("Directory for the files; may contain %Y %m %d %H %M %S and %{header}, taken from the event's timestamp header or the current time. A header's value fills one directory level: / \\ .. % and NUL in it are percent-escaped (../x becomes %2E%2E%2Fx)."),
  filePrefix: z.string().default("events").describe("File name prefix."),
  format: z.enum(["text", "jsonl", "csv"]).default("text").describe("text: the body and a newline; jsonl: {\"headers\":…,\"body\":…} per line; csv: the columns, quoted as RFC 4180 says."),
  columns: z.array(z.string().min(1)).default(["timestamp", "body"]).describe("csv columns: header names, and body for the body text."),
  gzip: z.boolean().default(false).describe("Compress files with gzip (.gz); each batch is one gzip member, so a file is readable by zcat at every commit."),
  round: z.boolean().default(false).describe("Round the timestamp down before the escapes are expanded, as Flume's HDFS sink does."),
  roundValue: z.number().int().positive().default(1).describe("Round down to a multiple of this many roundUnits."),
  roundUnit: z.enum(["second", "minute", "hour"]).default("second").describe("Unit of roundValue."),
  rollInterval: z.number().int().nonnegative().default(30).describe("Seconds before a file is closed; 0 disables."),
  rollSize: z.number().int().nonnegative().default(0).describe("Bytes before a file is closed; 0 disables."),
  rollCount: z.number().int().nonnegative().default(0).describe("Events before a file is closed; 0 disables."),
  useLocalTimeStamp: z.boolean().default(false).describe("Use the current time for escapes instead of the timestamp header."),
  batchSize: z.number().int().positive().default(100).describe("Most events taken in one transaction."),
}).describe("Writes events to rolling files. Open files end in .tmp and are renamed when closed, so readers never see half a file. A batch is fsynced before its take commits.");

interface OpenFile {
  fh: FileHandle;
  path: string;
  openedAt: number;
  bytes: number;
  count: number;
}

const pad = (n: number) => String(n).padStart(2, "0");

const UNIT_MS = { second: 1000, minute: 60_000, hour: 3_600_000 } as const;

const SEGMENT_ESCAPES: Record<string, string> = { "%": "%25", "/": "%2F", "\\": "%5C", "\0": "%00", "..": "%2E%2E" };
const UNSAFE = /[%/\\\0]|\.\./g;

/**
 * A header value as it goes into a path: percent-escaped so that it stays inside one directory
 * level, whatever the event says (`../../x`, `/etc`, a NUL). A value of dots only is escaped
 * whole, so two expansions side by side cannot make `..` either. `%` is escaped too, so two
 * different values never share a directory.
 */
export function pathSegment(value: string): string {
  if (/^\.+$/.test(value)) return value.replaceAll(".", "%2E");
  return value.replace(UNSAFE, (c) => SEGMENT_ESCAPES[c]);
}

/** Flume's path escapes, from the event's timestamp header (epoch ms) or now; rounded down to roundMs when given. */
export function expandPath(template: string, e: FlumeEvent, useLocalTimeStamp: boolean, roundMs = 0): string {
  let ts = !useLocalTimeStamp && e.headers.timestamp !== undefined ? Number(e.headers.timestamp) : Date.now();
  // Rounding is done on local wall-clock time so that, e.g., 15-minute buckets start at :00, :15, … in every time zone.
  if (roundMs > 0) {
    const offset = new Date(ts).getTimezoneOffset() * 60_000;
    ts = Math.floor((ts - offset) / roundMs) * roundMs + offset;
  }
  const d = new Date(ts);
  return template.replace(/%\{([^}]+)\}|%([YymdHMSs])/g, (_, h: string | undefined, c: string | undefined) => {
    if (h !== undefined) return pathSegment(e.headers[h] ?? "");
    switch (c) {
      case "Y": return String(d.getFullYear());
      case "y": return pad(d.getFullYear() % 100);
      case "m": return pad(d.getMonth() + 1);
      case "d": return pad(d.getDate());
      case "H": return pad(d.getHours());
      case "M": return pad(d.getMinutes());
      case "S": return pad(d.getSeconds());
      default: return String(ts);
    }
  });
}

const gzip = promisify(gzipCb);
const EXTENSIONS = { text: "log", jsonl: "jsonl", csv: "csv" } as const;

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export class FileRollSink implements Sink {
  readonly counters = new SinkCounters();
  readonly batchSize: number;
  private readonly files = new Map<string, OpenFile>();
  private serial = 0;
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<void> = Promise.resolve();

  constructor(private readonly config: z.infer<typeof fileRollSinkSchema>) {
    this.batchSize = config.batchSize;
  }

  start(): Promise<void> {
    if (this.config.rollInterval > 0) {
      this.timer = setInterval(() => {
        // Rolls run between batches, never while one is being written to the same file.
        this.busy = this.busy.then(() => this.rollExpired()).catch((e: unknown) => log.error({ err: e }, "closing an expired file failed; it stays .tmp until the next roll"));
      }, Math.min(1000, this.config.rollInterval * 1000));
    }
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.busy;
    for (const dir of [...this.files.keys()]) await this.close(dir);
  }

  /** One write and one fsync per destination file per batch. */
  deliver(events: FlumeEvent[]): Promise<void> {
    const done = this.busy.then(() => this.write(events));
    this.busy = done.catch(() => undefined); // the failure is the caller's to handle; the chain goes on
    return done;
  }

  private async write(events: FlumeEvent[]): Promise<void> {
    const byDir = new Map<string, string[]>();
    const { round, roundValue, roundUnit } = this.config;
    const roundMs = round ? roundValue * UNIT_MS[roundUnit] : 0;
    for (const e of events) {
      const dir = expandPath(this.config.directory, e, this.config.useLocalTimeStamp, roundMs);
      (byDir.get(dir) ?? byDir.set(dir, []).get(dir)!).push(this.line(e));
    }
    for (const [dir, lines] of byDir) {
      const f = await this.fileFor(dir);
      const text = Buffer.from(lines.join(""));
      const buf = this.config.gzip ? await gzip(text) : text;
      await f.fh.write(buf, 0, buf.length, f.bytes);
      await f.fh.datasync();
      f.bytes += buf.length;
      f.count += lines.length;
      const { rollSize, rollCount } = this.config;
      if ((rollSize > 0 && f.bytes >= rollSize) || (rollCount > 0 && f.count >= rollCount)) await this.close(dir);
    }
  }

  private line(e: FlumeEvent): string {
    switch (this.config.format) {
      case "text": return `${e.body.toString("utf8")}\n`;
      case "jsonl": return `${JSON.stringify({ headers: e.headers, body: e.body.toString("utf8") })}\n`;
      case "csv": return `${this.config.columns.map((c) => csvField(c === "body" ? e.body.toString("utf8") : e.headers[c] ?? "")).join(",")}\r\n`;
    }
  }

  private async fileFor(dir: string): Promise<OpenFile> {
    let f = this.files.get(dir);
    if (f) return f;
    await mkdir(dir, { recursive: true });
    const ext = `${EXTENSIONS[this.config.format]}${this.config.gzip ? ".gz" : ""}`;
    const path = join(dir, `${this.config.filePrefix}-${Date.now()}-${this.serial++}.${ext}`);
    f = { fh: await open(`${path}.tmp`, "w"), path, openedAt: Date.now(), bytes: 0, count: 0 };
    this.files.set(dir, f);
    return f;
  }

  private async close(dir: string): Promise<void> {
    const f = this.files.get(dir);
    if (!f) return;
    this.files.delete(dir);
    await f.fh.close();
    await rename(`${f.path}.tmp`, f.path);
  }

  private async rollExpired(): Promise<void> {
    const limit = this.config.rollInterval * 1000;
    for (const [dir, f] of this.files) if (Date.now() - f.openedAt >= limit) await this.close(dir);
  }
}

export const fileRollSinkType = defineComponent({
  types: ["file_roll", "lake", "org.apache.flume.sink.RollingFileSink"],
  schema: fileRollSinkSchema,
  create: (config) => new FileRollSink(config),
});
