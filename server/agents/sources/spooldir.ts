import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { logger } from "../../log";
import { type BatchSink, defineComponent } from "../component";
import { LoopSource } from "./loop-source";
import { readPositionFile } from "./position-file";
import type { FlumeEvent } from "../model";
import { putOnce } from "./put-with-backoff";

const log = logger("agents.spooldir");

export const spooldirSourceSchema = z.object({
  type: z.literal("spooldir"),
  channels: z.array(z.string()).min(1),
  spoolDir: z.string().min(1).describe("Directory to ingest. Files must be complete when they appear there (move them in, do not write them in place)."),
  fileSuffix: z.string().default(".COMPLETED").describe("Appended to a file's name once all its events are in the channel."),
  deletePolicy: z.enum(["never", "immediate"]).default("never").describe("immediate deletes ingested files instead of renaming them."),
  includePattern: z.string().default("^.*$").describe("Regular expression file names must match."),
  ignorePattern: z.string().default("^$").describe("Regular expression of file names to leave alone."),
  trackerDir: z.string().default(".flumespool").describe("Where the position in the current file is kept; relative to spoolDir."),
  consumeOrder: z.enum(["oldest", "youngest"]).default("oldest").describe("Which file to ingest first, by modification time."),
  deserializer: z.enum(["line", "json"]).default("line").describe("line: one event per line; json: the file is a JSON array or one JSON value per line, one event per value."),
  "deserializer.maxLineLength": z.number().int().positive().default(2048).describe("Longer lines are truncated, as in Flume's LINE deserializer."),
  maxJsonFileBytes: z.number().int().positive().default(64 * 1024 * 1024).describe("Largest file the json deserializer reads (it parses the whole file)."),
  batchSize: z.number().int().positive().default(100).describe("Most events put in one transaction."),
  pollDelay: z.number().int().positive().default(500).describe("Milliseconds between looks at the directory when it is empty."),
  fileHeader: z.boolean().default(false).describe("Add the file's absolute path in a header."),
  fileHeaderKey: z.string().default("file").describe("Header name for fileHeader."),
  basenameHeader: z.boolean().default(false).describe("Add the file's name in a header."),
  basenameHeaderKey: z.string().default("basename").describe("Header name for basenameHeader."),
}).describe("Ingests complete files dropped into a directory, then renames them with fileSuffix or deletes them. The position in the current file is recorded after each channel commit, so a restart resumes there (at-least-once).");

/** Bytes read from the file per read call (line deserializer). */
const READ_CHUNK = 1 << 20;

/**
 * The position in the file being ingested, and what it is a position in: the spool directory (by
 * device and inode, so a renamed directory is the same one) and the deserializer (whose unit `pos`
 * counts). A tracker written for another directory or deserializer is not this source's.
 */
const positionSchema = z.object({
  file: z.string(),
  inode: z.number(),
  /** Byte offset (line) or values consumed (json). */
  pos: z.number(),
  capture: z.object({ spoolDir: z.string(), dir: z.string(), deserializer: z.string() }).optional(),
});

type Position = z.infer<typeof positionSchema>;

export class SpooldirSource extends LoopSource {
  private readonly include: RegExp;
  private readonly ignore: RegExp;
  private readonly trackerFile: string;
  /** The spool directory's device:inode, set by start(). */
  private dir = "";
  lastError: string | null = null;

  constructor(private readonly config: z.infer<typeof spooldirSourceSchema>, private readonly put: BatchSink) {
    super();
    this.include = new RegExp(config.includePattern);
    this.ignore = new RegExp(config.ignorePattern);
    this.trackerFile = join(config.spoolDir, config.trackerDir, "position.json");
  }

  override async start(): Promise<void> {
    const st = await stat(this.config.spoolDir).catch(() => null);
    if (!st?.isDirectory()) throw new Error(`spooldir: ${this.config.spoolDir} is not a directory; create it or fix spoolDir`);
    this.dir = `${st.dev}:${st.ino}`;
    await mkdir(join(this.config.spoolDir, this.config.trackerDir), { recursive: true });
    await super.start();
  }

  protected async run(): Promise<void> {
    while (this.running) {
      let progressed = false;
      try {
        progressed = await this.ingestNext();
        this.lastError = null;
      } catch (e) {
        this.lastError = (e as Error).message;
        log.warn({ err: e, spoolDir: this.config.spoolDir }, "spooldir ingest failed; retrying");
      }
      if (!progressed) await new Promise((r) => setTimeout(r, this.config.pollDelay));
    }
  }

  /** Ingests one file completely; false when there was none or the channel refused (then the position is kept). */
  private async ingestNext(): Promise<boolean> {
    const saved = await this.loadPosition();
    const next = saved ?? (await this.pickFile());
    if (!next) return false;
    const path = join(this.config.spoolDir, next.file);
    const st = await stat(path).catch(() => null);
    if (!st || st.ino !== next.inode) {
      // The recorded file was finished (renamed) just before a crash, or replaced: start over with the directory.
      await rm(this.trackerFile, { force: true });
      return true;
    }
    const done = this.config.deserializer === "line" ? await this.readLines(path, next) : await this.readJson(path, next, st.size);
    if (!done) return false;
    if (this.config.deletePolicy === "immediate") await rm(path);
    else await rename(path, `${path}${this.config.fileSuffix}`);
    await rm(this.trackerFile, { force: true });
    log.info({ file: path, deleted: this.config.deletePolicy === "immediate" }, "file ingested");
    return true;
  }

  /** The tracked position, unless it was written for another spool directory or deserializer (then the file starts afresh). */
  private async loadPosition(): Promise<Position | null> {
    const p = await readPositionFile(this.trackerFile, positionSchema, (reason) => `spooldir: ${this.trackerFile} is not a position file (${reason}); delete it to ingest the current file from its start`);
    if (!p) return null;
    // A tracker from before captures were recorded is taken as this one's.
    if (!p.capture || (p.capture.dir === this.dir && p.capture.deserializer === this.config.deserializer)) return p;
    log.warn({ tracker: this.trackerFile, was: p.capture, now: { spoolDir: this.config.spoolDir, deserializer: this.config.deserializer }, file: p.file, pos: p.pos },
      "the position was recorded for another spool directory or deserializer; the file is ingested from its start");
    await rm(this.trackerFile, { force: true });
    return null;
  }

  private async savePosition(p: Position): Promise<void> {
    const tmp = `${this.trackerFile}.tmp`;
    await writeFile(tmp, JSON.stringify({ ...p, capture: { spoolDir: this.config.spoolDir, dir: this.dir, deserializer: this.config.deserializer } }));
    await rename(tmp, this.trackerFile);
  }

  private async pickFile(): Promise<Position | null> {
    const candidates: { file: string; inode: number; mtime: number }[] = [];
    for (const d of await readdir(this.config.spoolDir, { withFileTypes: true })) {
      const n = d.name;
      if (!d.isFile() || n.endsWith(this.config.fileSuffix) || n.endsWith(".INVALID") || n.startsWith(".") || !this.include.test(n) || this.ignore.test(n)) continue;
      const st = await stat(join(this.config.spoolDir, n)).catch(() => null);
      if (st) candidates.push({ file: n, inode: st.ino, mtime: st.mtimeMs });
    }
    if (candidates.length === 0) return null;
    const sign = this.config.consumeOrder === "oldest" ? 1 : -1;
    candidates.sort((a, b) => sign * (a.mtime - b.mtime) || a.file.localeCompare(b.file));
    const { file, inode } = candidates[0];
    const p: Position = { file, inode, pos: 0 };
    await this.savePosition(p);
    return p;
  }

  private headers(path: string, file: string): Record<string, string> {
    const h: Record<string, string> = {};
    if (this.config.fileHeader) h[this.config.fileHeaderKey] = path;
    if (this.config.basenameHeader) h[this.config.basenameHeaderKey] = file;
    return h;
  }

  /** Puts one batch and records the position after it; false when the channel refused it. */
  private async putBatch(events: FlumeEvent[], p: Position, pos: number): Promise<boolean> {
    try {
      await putOnce(this.put, events, this.counters);
    } catch (e) {
      log.debug({ err: e }, "spooldir batch refused; staying at the position");
      return false;
    }
    p.pos = pos;
    await this.savePosition(p);
    return true;
  }

  private async readLines(path: string, p: Position): Promise<boolean> {
    const fh = await open(path, "r");
    try {
      const max = this.config["deserializer.maxLineLength"];
      const buf = Buffer.allocUnsafe(READ_CHUNK);
      for (;;) {
        if (!this.running) return false;
        const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, p.pos);
        if (bytesRead === 0) return true;
        // A complete file's last line needs no newline; within a chunk, only whole lines are taken.
        const atEnd = p.pos + bytesRead >= (await fh.stat()).size;
        let cut = buf.lastIndexOf(10, bytesRead - 1);
        if (cut < 0) {
          if (!atEnd && bytesRead < READ_CHUNK) return true;
          cut = bytesRead - 1; // a line longer than the chunk (truncated anyway) or the unterminated last line
        }
        const events: FlumeEvent[] = [];
        const ends: number[] = [];
        let start = 0;
        const last = atEnd ? bytesRead - 1 : cut;
        while (start <= last) {
          let nl = buf.indexOf(10, start);
          if (nl < 0 || nl > last) nl = last + 1;
          const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
          events.push({ headers: this.headers(path, p.file), body: Buffer.from(buf.subarray(start, Math.min(end, start + max))) });
          start = nl + 1;
          ends.push(Math.min(start, bytesRead));
        }
        const base = p.pos;
        for (let i = 0; i < events.length; i += this.config.batchSize) {
          const n = Math.min(this.config.batchSize, events.length - i);
          if (!(await this.putBatch(events.slice(i, i + n), p, base + ends[i + n - 1]))) return false;
        }
      }
    } finally {
      await fh.close();
    }
  }

  private async readJson(path: string, p: Position, size: number): Promise<boolean> {
    if (size > this.config.maxJsonFileBytes) throw new Error(`spooldir: ${path} is ${size} bytes, over maxJsonFileBytes ${this.config.maxJsonFileBytes}; raise it or split the file`);
    const text = await readFile(path, "utf8");
    let values: unknown[];
    try {
      const trimmed = text.trimStart();
      values = trimmed.startsWith("[") ? (JSON.parse(text) as unknown[]) : text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as unknown);
    } catch (e) {
      // A file that is not JSON is set aside under its own name so the rest of the directory keeps flowing.
      const bad = `${path}.INVALID`;
      await rename(path, bad);
      throw new Error(`spooldir: ${path} is not JSON (${(e as Error).message}); moved to ${bad} — fix it and move it back, or use deserializer = line`);
    }
    for (let i = p.pos; i < values.length; i += this.config.batchSize) {
      if (!this.running) return false;
      const chunk = values.slice(i, i + this.config.batchSize);
      const events = chunk.map((v) => ({ headers: this.headers(path, p.file), body: Buffer.from(JSON.stringify(v)) }));
      if (!(await this.putBatch(events, p, i + chunk.length))) return false;
    }
    return true;
  }
}

export const spooldirSourceType = defineComponent({
  types: ["spooldir", "org.apache.flume.source.SpoolDirectorySource"],
  schema: spooldirSourceSchema,
  create: (config, ctx) => new SpooldirSource(config, ctx.put),
});
