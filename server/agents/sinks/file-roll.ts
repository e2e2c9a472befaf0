import { type FileHandle, mkdir, open, rename } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { type Sink, SinkCounters } from "../component";
import type { FlumeEvent } from "../model";

export const fileRollSinkSchema = z.object({
  type: z.literal("file_roll"),
  channel: z.string(),
  directory: z.string().min(1).describe("Directory for the files; may contain %Y %m %d %H %M %S and %{header}, taken from the event's timestamp header or the current time."),
  filePrefix: z.string().default("events").describe("File name prefix."),
  format: z.enum(["text", "jsonl"]).default("text").describe("text: the body and a newline; jsonl: {\"headers\":…,\"body\":…} per line."),
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

/** Flume's path escapes, from the event's timestamp header (epoch ms) or now. */
export function expandPath(template: string, e: FlumeEvent, useLocalTimeStamp: boolean): string {
  const ts = !useLocalTimeStamp && e.headers.timestamp !== undefined ? Number(e.headers.timestamp) : Date.now();
  const d = new Date(ts);
  return template.replace(/%\{([^}]+)\}|%([YmdHMSs])/g, (_, h: string | undefined, c: string | undefined) => {
    if (h !== undefined) return e.headers[h] ?? "";
    switch (c) {
      case "Y": return String(d.getFullYear());
      case "m": return pad(d.getMonth() + 1);
      case "d": return pad(d.getDate());
      case "H": return pad(d.getHours());
      case "M": return pad(d.getMinutes());
      case "S": return pad(d.getSeconds());
      default: return String(ts);
    }
  });
}

export class FileRollSink implements Sink {
  readonly counters = new SinkCounters();
  readonly batchSize: number;
  private readonly files = new Map<string, OpenFile>();
  private serial = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly config: z.infer<typeof fileRollSinkSchema>) {
    this.batchSize = config.batchSize;
  }

  async start(): Promise<void> {
    if (this.config.rollInterval > 0) {
      this.timer = setInterval(() => void this.rollExpired(), Math.min(1000, this.config.rollInterval * 1000));
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const dir of [...this.files.keys()]) await this.close(dir);
  }

  /** One write and one fsync per destination file per batch. */
  async deliver(events: FlumeEvent[]): Promise<void> {
    const byDir = new Map<string, string[]>();
    for (const e of events) {
      const dir = expandPath(this.config.directory, e, this.config.useLocalTimeStamp);
      const line = this.config.format === "text"
        ? `${e.body.toString("utf8")}\n`
        : `${JSON.stringify({ headers: e.headers, body: e.body.toString("utf8") })}\n`;
      (byDir.get(dir) ?? byDir.set(dir, []).get(dir)!).push(line);
    }
    for (const [dir, lines] of byDir) {
      const f = await this.fileFor(dir);
      const buf = Buffer.from(lines.join(""));
      await f.fh.write(buf, 0, buf.length, f.bytes);
      await f.fh.datasync();
      f.bytes += buf.length;
      f.count += lines.length;
      const { rollSize, rollCount } = this.config;
      if ((rollSize > 0 && f.bytes >= rollSize) || (rollCount > 0 && f.count >= rollCount)) await this.close(dir);
    }
  }

  private async fileFor(dir: string): Promise<OpenFile> {
    let f = this.files.get(dir);
    if (f) return f;
    await mkdir(dir, { recursive: true });
    const ext = this.config.format === "text" ? "log" : "jsonl";
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
