import { logger } from "../../../log";
import type { FlumeEvent } from "../../model";
import { describeTable, openTextClient, type TextClient } from "./connect";
import { type CaptureIdentity, databaseIdentity, type Position, type PositionFile } from "./position";
import { CdcSetupError, type ChangeSource, changeEvent, decodeRow, keyOf, quoteName } from "./types";
import type { Capture, Deliver, PostgresCdcConfig } from "./source";

const log = logger("agents.postgres_cdc.polling");

/** Pause after a failed poll (server down, query error) before the next attempt. */
const ERROR_BACKOFF_MS = 2000;

/**
 * Kafka Connect JDBC-style capture: polls for rows past the last committed key (and timestamp),
 * in key order, batch.max.rows at a time. Polling cannot see deletes, and cannot tell an insert
 * from an update, so every row is emitted as op "c" with before = null.
 */
export class PollingCapture implements Capture {
  private client: TextClient | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private position: Position = { capture: null, key: null, ts: null, slot: null, snapshotDone: false, lsn: null };
  private from = "";
  private keyColumns: string[] = [];
  private sourceInfo: Omit<ChangeSource, "ts_ms"> = { db: "", schema: "", table: "", lsn: null, txId: null };
  /** Incrementing mode with a delay: the highest key seen at each recent poll, oldest first. */
  private seen: { at: number; max: string | null }[] = [];

  constructor(private readonly name: string, private readonly config: PostgresCdcConfig, private readonly file: PositionFile, private readonly deliver: Deliver) {}

  async start(): Promise<void> {
    this.client = await openTextClient(this.config.url);
    try {
      const db = await databaseIdentity(this.client);
      let tables: string[] = [];
      if (this.config.table) {
        const t = await describeTable(this.client, this.config.table);
        this.from = quoteName(`${t.schema}.${t.table}`);
        this.keyColumns = t.key.length > 0 ? t.key : [this.config["key.column"]!];
        this.sourceInfo = { db: db.name, schema: t.schema, table: t.table, lsn: null, txId: null };
        if (!t.columns.some((c) => c.name === this.config["key.column"])) throw new CdcSetupError(`table ${this.config.table} has no column ${this.config["key.column"]}; fix key.column`);
        tables = [`${t.schema}.${t.table}`];
      } else {
        this.from = `(${this.config.query}) AS q`;
        this.keyColumns = [this.config["key.column"]!];
        this.sourceInfo = { db: db.name, schema: "query", table: "query", lsn: null, txId: null };
      }
      const identity: CaptureIdentity = {
        database: db.identity,
        mode: this.config.mode,
        tables,
        query: this.config.query ?? null,
        keyColumn: this.config["key.column"]!,
        timestampColumn: this.config.mode === "timestamp+incrementing" ? this.config["timestamp.column"]! : null,
        slot: null,
        publication: null,
      };
      this.position = (await this.file.loadFor(this.name, identity)).position ?? { ...this.position, capture: identity };
      // Fails now, with the server's message, if the query or a column name is wrong.
      await this.client.query(this.select(), this.params(0, null));
    } catch (e) {
      await this.client.close();
      this.client = null;
      throw e;
    }
    this.running = true;
    this.loop = this.run();
    log.info({ table: this.config.table, mode: this.config.mode, position: this.position }, "polling capture started");
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.client?.close();
    this.client = null;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let full = false;
      try {
        full = await this.pollOnce();
      } catch (e) {
        log.warn({ err: e, table: this.config.table }, "poll failed; retrying");
        await this.sleep(ERROR_BACKOFF_MS);
        continue;
      }
      if (!full) await this.sleep(this.config["poll.interval.ms"]);
    }
  }

  /** One poll; true when it filled a batch, so the next poll should follow at once. */
  private async pollOnce(): Promise<boolean> {
    const max = this.config["batch.max.rows"];
    const bound = await this.keyBound();
    const r = await this.client!.query(this.select(), this.params(max, bound));
    if (r.rows.length === 0) return false;
    const now = Date.now();
    const events = new Array<FlumeEvent>(r.rows.length);
    const source = { ...this.sourceInfo, ts_ms: now };
    for (let i = 0; i < r.rows.length; i++) {
      const after = decodeRow(r.columns, r.rows[i]);
      events[i] = changeEvent({ before: null, after, op: "c", source, ts_ms: now }, keyOf(this.keyColumns, after));
    }
    if (!(await this.deliver(events))) return false;
    const last = r.rows[r.rows.length - 1];
    this.position = { ...this.position, key: last[this.config["key.column"]!] ?? null, ts: this.config["timestamp.column"] ? last[this.config["timestamp.column"]] ?? null : null };
    await this.file.save(this.position);
    return r.rows.length === max;
  }

  private col(name: string): string {
    return this.config.table ? quoteName(name) : `q.${quoteName(name)}`;
  }

  /** The poll: rows past the position, in position order. Parameters: $1 the limit, then the position, then the delay or key bound. */
  private select(): string {
    const k = this.col(this.config["key.column"]!);
    const where: string[] = [];
    let order = k;
    const delayed = this.config["timestamp.delay.interval.ms"] > 0;
    if (this.config.mode === "timestamp+incrementing") {
      const t = this.col(this.config["timestamp.column"]!);
      order = `${t}, ${k}`;
      if (this.position.ts !== null) where.push(`(${t} > $2 OR (${t} = $2 AND ${k} > $3))`);
      if (delayed) where.push(`${t} < statement_timestamp() - $${this.position.ts !== null ? 4 : 2}::int8 * interval '1 millisecond'`);
    } else {
      if (this.position.key !== null) where.push(`${k} > $2`);
      if (delayed) where.push(`${k} <= $${this.position.key !== null ? 3 : 2}`);
    }
    return `SELECT * FROM ${this.from}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY ${order} LIMIT $1`;
  }

  private params(limit: number, bound: string | null): (string | number | null)[] {
    const p: (string | number | null)[] = [limit];
    const delay = this.config["timestamp.delay.interval.ms"];
    if (this.config.mode === "timestamp+incrementing") {
      if (this.position.ts !== null) p.push(this.position.ts, this.position.key);
      if (delay > 0) p.push(delay);
    } else {
      if (this.position.key !== null) p.push(this.position.key);
      if (delay > 0) p.push(bound);
    }
    return p;
  }

  /**
   * Incrementing mode with a delay: keys are handed out before their transactions commit, so a
   * key below one already visible may still appear. Reading only up to the highest key that was
   * visible `delay` ago gives every transaction that long to commit.
   */
  private async keyBound(): Promise<string | null> {
    const delay = this.config["timestamp.delay.interval.ms"];
    if (this.config.mode !== "incrementing" || delay === 0) return null;
    const k = this.col(this.config["key.column"]!);
    const r = await this.client!.query(`SELECT max(${k})::text AS max FROM ${this.from}`);
    const now = Date.now();
    this.seen.push({ at: now, max: r.rows[0]?.max ?? null });
    let bound: string | null = null;
    while (this.seen.length > 1 && now - this.seen[1].at >= delay) this.seen.shift();
    if (now - this.seen[0].at >= delay) bound = this.seen[0].max;
    return bound;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }
}
