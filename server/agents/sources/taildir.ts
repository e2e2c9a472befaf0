import { type FileHandle, open, readdir, rename, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { logger } from "../../log";
import { type BatchSink, defineComponent } from "../component";
import { LoopSource } from "./loop-source";
import { readPositionFile } from "./position-file";
import type { FlumeEvent } from "../model";
import { putOnce } from "./put-with-backoff";

const log = logger("agents.taildir");

export const taildirSourceSchema = z.object({
  type: z.literal("taildir"),
  channels: z.array(z.string()).min(1),
  filegroups: z.record(z.string(), z.string()).describe("Group name → absolute path whose file name part is a regular expression, e.g. /var/log/app/.*\\.log."),
  positionFile: z.string().describe("JSON file recording the file groups and, per inode, how far each file has been read (Flume's position entries; Flume's own file is read too)."),
  batchSize: z.number().int().positive().default(100).describe("Most lines put in one transaction."),
  pollIntervalMs: z.number().int().positive().default(250).describe("How often the file groups are listed and read."),
  fileHeader: z.boolean().default(false).describe("Add the file's path in a header."),
  fileHeaderKey: z.string().default("file").describe("Header name for fileHeader."),
}).describe("Tails groups of files line by line. Follows renames (rotation) by inode, restarts a truncated file from its start, and records positions only after the channel commit, so a restart neither loses nor repeats lines beyond at-least-once.");

/** Bytes read from one file per read call. */
const READ_CHUNK = 1 << 20;

interface Tracked {
  inode: number;
  path: string;
  pos: number;
  fh: FileHandle | null;
  /**
   * Polls in a row whose listing missed the file. A file renamed while a listing runs can be
   * missed once (readdir saw the old name, stat found the new file there), so its position is
   * forgotten only when the next listing misses it too.
   */
  unseen: number;
}

/** One file's entry in the position file, as Flume writes it. */
const entrySchema = z.object({ inode: z.number(), pos: z.number(), file: z.string() });

/** The position file: the file groups its positions were read under, and Flume's entries (Flume's own file is just the array). */
const positionFileSchema = z.union([
  z.object({ filegroups: z.record(z.string(), z.string()), files: z.array(entrySchema) }),
  z.array(entrySchema).transform((files) => ({ filegroups: null, files })),
]);

export class TaildirSource extends LoopSource {
  private readonly tracked = new Map<number, Tracked>();
  lastError: string | null = null;

  constructor(private readonly config: z.infer<typeof taildirSourceSchema>, private readonly put: BatchSink) {
    super();
  }

  override async start(): Promise<void> {
    for (const p of await this.loadPositions()) this.tracked.set(p.inode, { inode: p.inode, path: p.file, pos: p.pos, fh: null, unseen: 0 });
    await super.start();
  }

  /**
   * The saved positions that apply to these file groups. Under other file groups (the source was
   * retargeted) a position is kept only for a file still at its recorded path with its inode — the
   * same file — since an inode alone may have been reused by another file; the rest start afresh.
   */
  private async loadPositions(): Promise<z.infer<typeof entrySchema>[]> {
    const saved = await readPositionFile(this.config.positionFile, positionFileSchema, (reason) => `taildir: ${this.config.positionFile} is not a position file (${reason}); delete it to read every file from its start`);
    if (!saved) return [];
    const { filegroups, files } = saved;
    if (filegroups === null || sameGroups(filegroups, this.config.filegroups)) return files;
    const kept: z.infer<typeof entrySchema>[] = [];
    for (const f of files) if ((await stat(f.file).catch(() => null))?.ino === f.inode) kept.push(f);
    log.warn({ positionFile: this.config.positionFile, was: filegroups, now: this.config.filegroups, kept: kept.map((f) => f.file), dropped: files.length - kept.length },
      "the file groups changed: positions are kept only for files still at their recorded path; other files are read from their start");
    return kept;
  }

  override async stop(): Promise<void> {
    await super.stop();
    for (const t of this.tracked.values()) await t.fh?.close();
  }

  protected async run(): Promise<void> {
    while (this.running) {
      try {
        await this.pollOnce();
        this.lastError = null;
      } catch (e) {
        this.lastError = (e as Error).message;
        log.warn({ err: e }, "taildir poll failed; retrying");
      }
      await new Promise((r) => setTimeout(r, this.config.pollIntervalMs));
    }
  }

  private async pollOnce(): Promise<void> {
    const seen = new Map<number, { path: string; group: string }>();
    for (const [group, pattern] of Object.entries(this.config.filegroups)) {
      const dir = dirname(pattern);
      const re = new RegExp(`^${basename(pattern)}$`);
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw e;
      }
      for (const n of names.sort()) {
        if (!re.test(n)) continue;
        const path = join(dir, n);
        const st = await stat(path).catch(() => null);
        if (st?.isFile()) seen.set(st.ino, { path, group });
      }
    }
    for (const [inode, { path }] of seen) {
      let t = this.tracked.get(inode);
      if (!t) {
        t = { inode, path, pos: 0, fh: null, unseen: 0 };
        this.tracked.set(inode, t);
      }
      t.path = path;
      t.unseen = 0;
    }
    // Files rotated out of the pattern are read to their end through the handle kept open, then dropped.
    for (const t of [...this.tracked.values()].sort((a, b) => (seen.has(a.inode) ? 1 : 0) - (seen.has(b.inode) ? 1 : 0))) {
      if (!this.running) return;
      if (!t.fh) {
        if (!seen.has(t.inode)) {
          if (++t.unseen > 1) {
            this.tracked.delete(t.inode);
            await this.savePositions();
          }
          continue;
        }
        t.fh = await open(t.path, "r");
      }
      const done = await this.readFile(t);
      if (!done) return;
      if (!seen.has(t.inode)) {
        await t.fh.close();
        t.fh = null;
        t.unseen = 1;
        await this.savePositions();
      }
    }
  }

  /** Reads complete lines from the file's position; false when the channel refused a batch (position kept). */
  private async readFile(t: Tracked): Promise<boolean> {
    const { size } = await t.fh!.stat();
    if (size < t.pos) {
      log.info({ file: t.path }, "file truncated; reading it from the start");
      t.pos = 0;
    }
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    while (this.running) {
      const { bytesRead } = await t.fh!.read(buf, 0, READ_CHUNK, t.pos);
      if (bytesRead === 0) return true;
      const lastNl = buf.lastIndexOf(10, bytesRead - 1);
      if (lastNl < 0) return true; // an incomplete line waits for its newline
      const lines: Buffer[] = [];
      const ends: number[] = [];
      let start = 0;
      for (let nl = buf.indexOf(10, 0); nl >= 0 && nl <= lastNl; nl = buf.indexOf(10, nl + 1)) {
        lines.push(Buffer.from(buf.subarray(start, nl > start && buf[nl - 1] === 13 ? nl - 1 : nl)));
        start = nl + 1;
        ends.push(start);
      }
      const base = t.pos;
      for (let i = 0; i < lines.length; i += this.config.batchSize) {
        const chunk = lines.slice(i, i + this.config.batchSize);
        const events: FlumeEvent[] = chunk.map((body) => ({ headers: this.config.fileHeader ? { [this.config.fileHeaderKey]: t.path } : {}, body }));
        try {
          await putOnce(this.put, events, this.counters);
        } catch (e) {
          log.debug({ err: e }, "taildir batch refused; staying at the position");
          return false;
        }
        t.pos = base + ends[i + chunk.length - 1];
        await this.savePositions();
      }
    }
    return true;
  }

  private async savePositions(): Promise<void> {
    const tmp = `${this.config.positionFile}.tmp`;
    const files = [...this.tracked.values()].map((t) => ({ inode: t.inode, pos: t.pos, file: t.path }));
    await writeFile(tmp, JSON.stringify({ filegroups: this.config.filegroups, files }));
    await rename(tmp, this.config.positionFile);
  }
}

function sameGroups(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

export const taildirSourceType = defineComponent({
  types: ["taildir", "org.apache.flume.source.taildir.TaildirSource"],
  schema: taildirSourceSchema,
  create: (config, ctx) => new TaildirSource(config, ctx.put),
});
