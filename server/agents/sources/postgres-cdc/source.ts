import { join } from "node:path";
import { z } from "zod";
import { type BatchSink, type Source, SourceCounters, defineComponent } from "../../component";
import { putWithBackoff } from "../put-with-backoff";
import type { FlumeEvent } from "../../model";
import { LogicalCapture } from "./logical";
import { PollingCapture } from "./polling";
import { PositionFile } from "./position";
import { secret } from "../../secret";


const identifier = /^[A-Za-z_][A-Za-z0-9_$]*$/;

export const postgresCdcSourceSchema = z.object({
  type: z.literal("postgres_cdc"),
  channels: z.array(z.string()).min(1),
  url: secret(z.string().regex(/^(postgres|postgresql|pglite):/, "a postgres://user:password@host:port/database URL, or pglite:<directory>"), "url").describe("Database to capture from: postgres://user:password@host:port/database, or pglite:<directory> for an embedded PGlite database (polling modes only)."),
  mode: z.enum(["incrementing", "timestamp+incrementing", "logical"]).default("incrementing").describe("incrementing: poll for rows whose key column is above the last one read. timestamp+incrementing: also re-read rows whose timestamp column moved forward (updates). logical: follow the write-ahead log through a replication slot (inserts, updates, deletes, truncates)."),
  table: z.string().optional().describe("Table to capture, as table or schema.table; in logical mode a comma-separated list is allowed."),
  query: z.string().optional().describe("Polling modes: a SELECT to capture instead of a table; the source wraps it to add its WHERE, ORDER BY and LIMIT."),
  "key.column": z.string().optional().describe("Polling modes: a strictly increasing column (e.g. a serial id) that identifies new rows."),
  "timestamp.column": z.string().optional().describe("timestamp+incrementing: a column set to the time of each insert and update."),
  "poll.interval.ms": z.number().int().positive().default(1000).describe("Polling modes: how long to wait after a poll that found fewer than batch.max.rows rows."),
  "batch.max.rows": z.number().int().positive().default(1000).describe("Most changes put into the channel in one transaction."),
  "timestamp.delay.interval.ms": z.number().int().nonnegative().default(0).describe("Polling modes: how long a row must have been visible before it is read, so a transaction that commits late is not skipped past. In timestamp mode rows newer than now minus this are left for a later poll; in incrementing mode keys above the highest key seen this long ago are."),
  slot: z.string().regex(/^[a-z0-9_]+$/, "lower-case letters, digits and _ only (Postgres's rule for slot names)").optional().describe("Logical mode: name of the persistent replication slot; created if missing. A slot keeps WAL until this source acknowledges it, so drop the slot of a source you delete."),
  publication: z.string().regex(identifier, "a plain identifier").optional().describe("Logical mode: publication naming the captured tables; created for `table` if missing."),
  snapshot: z.enum(["initial", "never"]).default("initial").describe("Logical mode: initial reads the existing rows (op r) when the slot is created, then streams; never streams changes only."),
  dataDir: z.string().optional().describe("Directory for the position file; defaults to the flow's data directory for this source."),
}).superRefine((c, ctx) => {
  const need = (key: string, why: string) => ctx.addIssue({ code: "custom", path: [key], message: why });
  if (c.mode === "logical") {
    if (!c.table) need("table", "logical mode needs table (one or more, comma-separated)");
    if (c.query) need("query", "logical mode captures tables, not queries; remove query");
    if (!c.slot) need("slot", "logical mode needs a replication slot name");
    if (!c.publication) need("publication", "logical mode needs a publication name");
    if (c.url.startsWith("pglite:")) need("url", "PGlite has no replication; use a polling mode or a Postgres server");
  } else {
    if (!c.table === !c.query) need("table", "set exactly one of table and query");
    if (c.table?.includes(",")) need("table", "polling modes capture one table");
    if (!c["key.column"]) need("key.column", "polling modes need key.column, a strictly increasing column");
    if (c.mode === "timestamp+incrementing" && !c["timestamp.column"]) need("timestamp.column", "timestamp+incrementing needs timestamp.column");
  }
}).describe("Change data capture from Postgres: every insert, update and delete of a table becomes a Debezium-style change event keyed by the row's primary key. Polls on a key (and timestamp) column, or follows the write-ahead log through a replication slot. The position advances only after the channel commit (at-least-once).");

export type PostgresCdcConfig = z.infer<typeof postgresCdcSourceSchema>;

/** A capture mode: start() sets up and begins capturing in the background; stop() ends it. */
export interface Capture {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class PostgresCdcSource implements Source {
  readonly counters = new SourceCounters();
  private capture: Capture | null = null;
  private running = false;

  constructor(private readonly name: string, private readonly config: PostgresCdcConfig, private readonly put: BatchSink) {}

  async start(): Promise<void> {
    if (!this.config.dataDir) throw new Error(`postgres_cdc source ${this.name}: set dataDir, the directory for its position file`);
    const position = new PositionFile(join(this.config.dataDir, "position.json"));
    this.running = true;
    const deliver = (events: FlumeEvent[]) => this.deliver(events);
    this.capture = this.config.mode === "logical"
      ? new LogicalCapture(this.name, this.config, position, deliver)
      : new PollingCapture(this.name, this.config, position, deliver);
    try {
      await this.capture.start();
    } catch (e) {
      this.running = false;
      this.capture = null;
      throw e;
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.capture?.stop();
  }

  /**
   * Puts a batch, retrying while the channel refuses it. Resolves true once committed, false when
   * the source stopped first (the position must then stay where it was).
   */
  private deliver(events: FlumeEvent[]): Promise<boolean> {
    return putWithBackoff(this.put, events, this.counters, () => this.running);
  }
}

/** Delivers a batch of change events; false when the source stopped before the channel took it. */
export type Deliver = (events: FlumeEvent[]) => Promise<boolean>;

export const postgresCdcSourceType = defineComponent({
  types: ["postgres_cdc"],
  schema: postgresCdcSourceSchema,
  create: (config, ctx) => new PostgresCdcSource(ctx.name, config, ctx.put),
});
