import { mkdir, open, readFile, rename, statfs, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { defineComponent } from "../component";
import { logger } from "../../log";
import { type Channel, ChannelFullError, type Transaction, statsOf } from "../model";
import { ChannelTransactions } from "./transactions";
import { type StoredEvent, encodeRecord, replay } from "./wal";

const log = logger("agents.file-channel");

export const fileChannelSchema = z.object({
  type: z.literal("file"),
  dataDir: z.string().min(1).optional().describe("Directory holding the channel's write-ahead log; one channel per directory. Defaults to <agent data dir>/<flow>/<channel>."),
  capacity: z.number().int().positive().default(1_000_000).describe("Maximum number of events stored in the channel."),
  transactionCapacity: z.number().int().positive().default(10_000).describe("Maximum number of events a source puts or a sink takes in one transaction."),
  checkpointBytes: z.number().int().positive().default(64 * 1024 * 1024).describe("When the log grows past this size (and past twice the live data), it is rewritten with only the events still in the channel."),
  minimumRequiredSpace: z.number().int().nonnegative().default(500 * 1024 * 1024).describe("Free bytes the data directory's disk must keep; below it puts are refused as a full channel."),
}).describe("Durable channel: every commit is in a write-ahead log on disk before it returns; concurrent commits share one fsync. Survives kill -9 without losing committed events.");

export type FileChannelConfig = z.infer<typeof fileChannelSchema> & { dataDir: string };

/** How often the free-space check reads the filesystem; commits in between use the cached answer. */
const DISK_CHECK_INTERVAL_MS = 1000;

interface PendingWrite {
  record: Buffer;
  apply: () => void;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class FileChannelError extends Error {
  constructor(channel: string, detail: string, options?: ErrorOptions) {
    super(`file channel ${channel}: ${detail}`, options);
    this.name = "FileChannelError";
  }
}

export class FileChannel implements Channel {
  readonly transactionCapacity: number;
  private readonly tx: ChannelTransactions<StoredEvent>;
  /** Every committed event whose take has not committed: what a checkpoint must keep. */
  private readonly live = new Map<number, StoredEvent>();
  private fh: FileHandle | null = null;
  private logBytes = 0;
  private liveBytes = 0;
  private nextSeq = 1;
  private pendingPuts = 0;
  private pending: PendingWrite[] = [];
  private writing: Promise<void> | null = null;
  private failure: Error | null = null;
  private diskCheckedAt = 0;
  private diskFree = Infinity;
  /** fsyncs since start, for the benchmark's fsyncs/s and to show group commit working. */
  fsyncCount = 0;

  private readonly config: FileChannelConfig;

  constructor(readonly name: string, config: z.infer<typeof fileChannelSchema>) {
    if (!config.dataDir) throw new FileChannelError(name, "dataDir is required");
    this.config = { ...config, dataDir: config.dataDir };
    this.transactionCapacity = config.transactionCapacity;
    this.tx = new ChannelTransactions(name, config.transactionCapacity, (event) => ({ seq: 0, event }), (s) => s.event);
  }

  private get logPath(): string {
    return join(this.config.dataDir, "log");
  }

  async start(): Promise<void> {
    await mkdir(this.config.dataDir, { recursive: true });
    let buf: Buffer;
    try {
      buf = await readFile(this.logPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      buf = Buffer.alloc(0);
    }
    const { live, validBytes, maxSeq } = replay(buf);
    if (validBytes < buf.length) {
      log.warn({ channel: this.name, tornBytes: buf.length - validBytes }, "dropping a torn log tail left by a crash (its commit never returned)");
    }
    for (const [seq, event] of live) {
      const s = { seq, event };
      this.live.set(seq, s);
      this.tx.queue.pushAll([s]);
      this.liveBytes += event.body.length;
    }
    this.nextSeq = maxSeq + 1;
    this.fh = await open(this.logPath, buf.length === 0 ? "w" : "r+");
    if (validBytes < buf.length) await this.fh.truncate(validBytes);
    this.logBytes = validBytes;
    await this.checkDisk(true);
    log.info({ channel: this.name, events: this.live.size }, "file channel replayed");
  }

  async stop(): Promise<void> {
    while (this.writing) await this.writing;
    await this.fh?.close();
    this.fh = null;
  }

  size(): number {
    return this.tx.size();
  }

  stats() {
    return statsOf(this.tx.counters, this.size(), this.config.capacity);
  }

  begin(): Transaction {
    return this.tx.begin(async (puts, takes, settle) => {
      if (this.failure) throw this.failure;
      if (puts.length > 0) {
        const size = this.size() + this.pendingPuts;
        if (size + puts.length > this.config.capacity) throw new ChannelFullError(this.name, `${size} of ${this.config.capacity} events`);
        await this.checkDisk(false);
        if (this.diskFree < this.config.minimumRequiredSpace) {
          throw new ChannelFullError(this.name, `${this.diskFree} bytes free on the disk of ${this.config.dataDir}, minimumRequiredSpace is ${this.config.minimumRequiredSpace}`);
        }
        for (const p of puts) p.seq = this.nextSeq++;
      }
      this.pendingPuts += puts.length;
      try {
        await this.append(encodeRecord(puts, takes), () => {
          for (const p of puts) {
            this.live.set(p.seq, p);
            this.liveBytes += p.event.body.length;
          }
          for (const t of takes) {
            this.live.delete(t.seq);
            this.liveBytes -= t.event.body.length;
          }
          settle();
        });
      } finally {
        this.pendingPuts -= puts.length;
      }
    });
  }

  /** Queues a record for the next group write; resolves after the fsync that made it durable. */
  private append(record: Buffer, apply: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ record, apply, resolve, reject });
      if (!this.writing) this.writing = this.writeLoop().finally(() => (this.writing = null));
    });
  }

  private async writeLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const group = this.pending;
      this.pending = [];
      try {
        if (!this.fh) throw new FileChannelError(this.name, "the channel is stopped; start it before committing");
        if (this.logBytes > this.config.checkpointBytes && this.logBytes > 2 * this.liveBytes) await this.checkpoint();
        const buf = group.length === 1 ? group[0].record : Buffer.concat(group.map((g) => g.record));
        let written = 0;
        while (written < buf.length) {
          const { bytesWritten } = await this.fh.write(buf, written, buf.length - written, this.logBytes + written);
          written += bytesWritten;
        }
        await this.fh.datasync();
        this.fsyncCount++;
        this.logBytes += buf.length;
      } catch (e) {
        this.failure = new FileChannelError(this.name, `writing the log in ${this.config.dataDir} failed; restart the channel to replay it`, { cause: e });
        for (const g of [...group, ...this.pending.splice(0)]) g.reject(this.failure);
        return;
      }
      for (const g of group) {
        g.apply();
        g.resolve();
      }
    }
  }

  /**
   * Rewrites the log with only the live events: written to a temporary file, fsynced, then renamed
   * over the log, so a crash at any point leaves either the old or the new log, both complete.
   */
  private async checkpoint(): Promise<void> {
    const tmp = `${this.logPath}.checkpoint`;
    const record = encodeRecord([...this.live.values()], []);
    const out = await open(tmp, "w");
    try {
      await out.write(record, 0, record.length, 0);
      await out.datasync();
    } finally {
      await out.close();
    }
    await rename(tmp, this.logPath);
    const dir = await open(this.config.dataDir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    await this.fh!.close();
    this.fh = await open(this.logPath, "r+");
    this.logBytes = record.length;
    log.debug({ channel: this.name, events: this.live.size, bytes: record.length }, "file channel checkpoint");
  }

  private async checkDisk(force: boolean): Promise<void> {
    const now = Date.now();
    if (!force && now - this.diskCheckedAt < DISK_CHECK_INTERVAL_MS) return;
    this.diskCheckedAt = now;
    const s = await statfs(this.config.dataDir);
    this.diskFree = s.bavail * s.bsize;
  }
}

export const fileChannelType = defineComponent({
  types: ["file", "org.apache.flume.channel.file.FileChannel"],
  schema: fileChannelSchema,
  create: (config, ctx) => new FileChannel(ctx.name, config),
});
