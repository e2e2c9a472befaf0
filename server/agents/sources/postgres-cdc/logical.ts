import pg from "pg";
import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from "pg-logical-replication";
import type postgres from "postgres";
import { logger } from "../../../log";
import { metrics } from "../../../metrics/registry";
import type { FlumeEvent } from "../../model";
import { describeTable, sqlClient, type TableInfo, textSql } from "./connect";
import { databaseIdentity, type Position, type PositionFile } from "./position";
import { CdcSetupError, type ChangeEnvelope, changeEvent, decodeRow, formatLsn, keyOf, parseLsn, quoteName, type Row, TEXT_SESSION } from "./types";
import type { Capture, Deliver, PostgresCdcConfig } from "./source";

const log = logger("agents.postgres_cdc.logical");

/** Commits are put together when they arrive within this long of each other (per-batch, not per-transaction, channel work). */
const LINGER_MS = 10;
/** Pause before reconnecting after the replication connection failed. */
const RECONNECT_MS = 1000;
/** How often the slot's lag is read for the metric. */
const LAG_INTERVAL_MS = 5000;
/** How long start() waits for a previous reader of the slot (e.g. this source before a restart) to let go. */
const SLOT_BUSY_WAIT_MS = 10_000;

export const SLOT_LAG_METRIC = "tributary_cdc_slot_lag_bytes";

/** pgoutput with the column parsers replaced by the identity, so values reach types.ts as Postgres text. */
class TextPgoutput extends PgoutputPlugin {
  override parse(buffer: Buffer): Pgoutput.Message {
    const m = super.parse(buffer);
    if (m.tag === "relation") for (const c of m.columns) c.parser = (x: unknown) => x;
    return m;
  }
}

/** A new slot's snapshot, still held by the connection that created the slot. */
interface ExportedSnapshot {
  repl: pg.Client;
  name: string;
  lsn: number;
}

interface Relation {
  schema: string;
  table: string;
  columns: { name: string; oid: number }[];
  key: string[];
}

/**
 * Logical replication with pgoutput through a persistent slot. The slot's confirmed LSN is the
 * source's position: it is acknowledged only after the channel committed every change of the
 * transactions up to it, so after a crash the server resends whatever was not committed.
 */
export class LogicalCapture implements Capture {
  private sql: postgres.Sql | null = null;
  private service: LogicalReplicationService | null = null;
  /** Whether `service` has its replication stream open (as opposed to still connecting). */
  private streaming = false;
  private running = false;
  private loop: Promise<void> | null = null;
  private tables: TableInfo[] = [];
  private db = "";
  private position: Position = { capture: null, key: null, ts: null, slot: null, snapshotDone: false, lsn: null };
  /** Last LSN acknowledged to the server. */
  private acked = 0n;
  private readonly relations = new Map<number, Relation>();
  private tx = { xid: 0, ts: 0 };
  private pending: FlumeEvent[] = [];
  /** End LSN of the last commit whose changes are all in `pending` or already delivered. */
  private pendingAck: bigint | null = null;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private lagTimer: NodeJS.Timeout | null = null;
  private lag = 0;

  constructor(private readonly name: string, private readonly config: PostgresCdcConfig, private readonly file: PositionFile, private readonly deliver: Deliver) {}

  private get slot(): string {
    return this.config.slot!;
  }

  async start(): Promise<void> {
    this.sql = textSql(this.config.url, 2);
    let exported: ExportedSnapshot | null;
    try {
      exported = await this.prepare();
    } catch (e) {
      await this.sql.end({ timeout: 5 });
      this.sql = null;
      throw e;
    }
    metrics.gauge(SLOT_LAG_METRIC, "WAL bytes a replication slot holds that its postgres_cdc source has not acknowledged; a stale slot fills the server's disk", { source: this.name, slot: this.slot }, () => this.lag);
    this.lagTimer = setInterval(() => void this.readLag(), LAG_INTERVAL_MS);
    await this.readLag();
    this.running = true;
    this.loop = this.run(exported);
    log.info({ slot: this.slot, publication: this.config.publication, lsn: formatLsn(this.acked) }, "logical capture started");
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.lagTimer) clearInterval(this.lagTimer);
    // A connection still being set up is closed by its "start" handler: pg cannot end a client mid-connect.
    if (this.streaming) await this.service?.stop();
    await this.loop;
    await this.chain;
    metrics.remove(SLOT_LAG_METRIC, { source: this.name, slot: this.slot });
    await this.sql?.end({ timeout: 5 });
    this.sql = null;
  }

  /**
   * Checks the server's settings and privileges, then makes sure publication and slot exist.
   * Returns the new slot's exported snapshot when the tables still have to be read.
   */
  private async prepare(): Promise<ExportedSnapshot | null> {
    const sql = this.sql!;
    const client = sqlClient(sql);
    const [settings] = await sql<{ wal_level: string; db: string; user: string; ok: string }[]>`
      SELECT current_setting('wal_level') AS wal_level, current_database() AS db, current_user AS user,
             (SELECT rolsuper OR rolreplication FROM pg_roles WHERE rolname = current_user) AS ok`;
    const s = settings;
    this.db = s.db;
    if (s.wal_level !== "logical") throw new CdcSetupError(`the server's wal_level is ${s.wal_level}; logical mode needs wal_level=logical: set it in postgresql.conf (ALTER SYSTEM SET wal_level = logical) and restart the server`);
    if (s.ok !== "t") throw new CdcSetupError(`role ${s.user} lacks the REPLICATION attribute that logical replication needs; run ALTER ROLE ${quoteName(s.user)} WITH REPLICATION as a superuser`);
    this.tables = [];
    for (const t of this.config.table!.split(",").map((x) => x.trim()).filter(Boolean)) {
      const info = await describeTable(client, t);
      if (info.replicaIdentity === "n" || (info.replicaIdentity === "d" && info.key.length === 0)) {
        throw new CdcSetupError(`table ${info.schema}.${info.table} has no primary key, so Postgres cannot publish its updates and deletes; add a primary key or run ALTER TABLE ${quoteName(`${info.schema}.${info.table}`)} REPLICA IDENTITY FULL`);
      }
      this.tables.push(info);
    }
    await this.ensurePublication();
    const identity = {
      database: (await databaseIdentity(client)).identity,
      mode: "logical",
      tables: this.tables.map((t) => `${t.schema}.${t.table}`).sort(),
      query: null,
      keyColumn: null,
      timestampColumn: null,
      slot: this.slot,
      publication: this.config.publication!,
    };
    const { position, changed } = await this.file.loadFor(this.name, identity);
    this.position = position ?? { ...this.position, capture: identity };
    let slot = await this.readSlot(true);
    if (slot && this.config.snapshot === "initial" && !(this.position.slot === this.slot && this.position.snapshotDone)) {
      if (this.position.slot !== this.slot) {
        // A retargeted source must not stream on from a slot whose stream it never snapshotted: rows would be missing.
        const why = changed.length > 0 ? `was set up for another capture (${changed.join("; ")}), so this one` : "already exists but this source";
        throw new CdcSetupError(`replication slot ${this.slot} ${why} has no record of its initial snapshot; drop it (SELECT pg_drop_replication_slot('${this.slot}')) to snapshot afresh, choose another slot name, or set snapshot=never to stream from the slot as it is`);
      }
      log.warn({ slot: this.slot }, "the initial snapshot was interrupted; dropping the slot to take it again");
      await this.dropSlot();
      slot = null;
    }
    if (slot) {
      const saved = this.position.slot === this.slot && this.position.lsn ? parseLsn(this.position.lsn) : 0n;
      this.acked = saved > slot.confirmed ? saved : slot.confirmed;
      return null;
    }
    if (this.position.slot === this.slot && this.position.snapshotDone) {
      log.warn({ slot: this.slot }, "the replication slot this source used is gone: changes made while it was missing are lost; creating it again");
    }
    return this.createSlot();
  }

  private async ensurePublication(): Promise<void> {
    const sql = this.sql!;
    const pub = this.config.publication!;
    const [found] = await sql`SELECT 1 FROM pg_publication WHERE pubname = ${pub}`;
    if (found) {
      for (const t of this.tables) {
        const [has] = await sql`SELECT 1 FROM pg_publication_tables WHERE pubname = ${pub} AND schemaname = ${t.schema} AND tablename = ${t.table}`;
        if (!has) throw new CdcSetupError(`publication ${pub} exists but does not include ${t.schema}.${t.table}, so its changes would never arrive; run ALTER PUBLICATION ${quoteName(pub)} ADD TABLE ${quoteName(`${t.schema}.${t.table}`)}, or name another publication`);
      }
      return;
    }
    const list = this.tables.map((t) => quoteName(`${t.schema}.${t.table}`)).join(", ");
    try {
      await sql.unsafe(`CREATE PUBLICATION ${quoteName(pub)} FOR TABLE ${list}`);
    } catch (e) {
      const err = e as { code?: string; message: string };
      if (err.code === "42501") throw new CdcSetupError(`creating publication ${pub} needs ownership of the tables and CREATE on the database (${err.message}); have the tables' owner run CREATE PUBLICATION ${pub} FOR TABLE ${list}`);
      if (err.code !== "42710") throw e; // 42710: created meanwhile by someone else, which is what we wanted
    }
    log.info({ publication: pub, tables: list }, "created publication");
  }

  private async readSlot(waitIfBusy: boolean): Promise<{ confirmed: bigint } | null> {
    const deadline = Date.now() + (waitIfBusy ? SLOT_BUSY_WAIT_MS : 0);
    for (;;) {
      const [row] = await this.sql!<{ plugin: string | null; database: string | null; confirmed: string | null; active_pid: string | null }[]>`
        SELECT plugin, database, confirmed_flush_lsn::text AS confirmed, active_pid::text AS active_pid FROM pg_replication_slots WHERE slot_name = ${this.slot}`;
      if (!row) return null;
      if (row.plugin !== "pgoutput" || row.database !== this.db) {
        throw new CdcSetupError(`replication slot ${this.slot} exists for ${row.plugin ?? "physical replication"} on database ${row.database ?? "(none)"}, not pgoutput on ${this.db}; choose another slot name`);
      }
      if (row.active_pid === null) return { confirmed: row.confirmed ? parseLsn(row.confirmed) : 0n };
      if (Date.now() >= deadline) throw new CdcSetupError(`replication slot ${this.slot} is in use by server process ${row.active_pid}; stop the other reader or choose another slot name`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /**
   * Creates the slot. For snapshot=initial its creation exports a snapshot: exactly the state
   * before the slot's consistent point, so reading the tables in it and then streaming from that
   * point continues without a gap or an overlap. The exporting connection must stay open and idle
   * until the snapshot is imported.
   */
  private async createSlot(): Promise<ExportedSnapshot | null> {
    const repl = new pg.Client(this.replicationConfig());
    await repl.connect();
    let created: { consistent_point: string; snapshot_name: string | null };
    try {
      const exp = this.config.snapshot === "initial" ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT";
      const r = await repl.query(`CREATE_REPLICATION_SLOT ${quoteName(this.slot)} LOGICAL pgoutput ${exp}`);
      created = r.rows[0] as typeof created;
    } catch (e) {
      await repl.end();
      const err = e as { code?: string; message: string };
      if (err.code === "53400") throw new CdcSetupError(`cannot create replication slot ${this.slot}: ${err.message}; raise max_replication_slots or drop slots nobody reads (SELECT slot_name, active FROM pg_replication_slots)`);
      throw e;
    }
    this.acked = parseLsn(created.consistent_point);
    const snapshot = this.config.snapshot === "initial";
    this.position = { ...this.position, slot: this.slot, snapshotDone: !snapshot, lsn: created.consistent_point };
    await this.file.save(this.position);
    log.info({ slot: this.slot, consistentPoint: created.consistent_point }, "created replication slot");
    if (!snapshot) {
      await repl.end();
      return null;
    }
    return { repl, name: created.snapshot_name!, lsn: Number(this.acked) };
  }

  private async dropSlot(): Promise<void> {
    await this.sql!`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ${this.slot}`;
  }

  /** The snapshot (if the slot is new), then the stream; runs until stop(). */
  private async run(first: ExportedSnapshot | null): Promise<void> {
    let exported = first;
    while (exported && this.running) {
      const current = exported;
      try {
        await this.snapshot(current);
        this.position = { ...this.position, snapshotDone: true };
        await this.file.save(this.position);
        exported = null;
      } catch (e) {
        await current.repl.end().catch(() => {}); // already closed once the snapshot was imported
        if (!this.running) return; // stopped mid-snapshot: the next start takes it again
        // An exported snapshot can be imported only while its slot creation is fresh: start over with a new slot.
        log.warn({ err: e, slot: this.slot }, "initial snapshot failed; taking it again with a new slot");
        await new Promise((r) => setTimeout(r, RECONNECT_MS));
        try {
          await this.dropSlot();
          exported = await this.createSlot();
        } catch (e2) {
          log.warn({ err: e2, slot: this.slot }, "could not create the replication slot again; retrying");
        }
      }
    }
    await this.stream();
  }

  private async snapshot(exported: ExportedSnapshot): Promise<void> {
    const max = this.config["batch.max.rows"];
    await this.sql!.begin("isolation level repeatable read read only", async (tx) => {
      await tx.unsafe(`SET TRANSACTION SNAPSHOT '${exported.name}'`);
      // The snapshot is ours now; the exporting connection may go.
      await exported.repl.end();
      for (const t of this.tables) {
        let rows = 0;
        for await (const batch of tx.unsafe<Record<string, string | null>[]>(`SELECT * FROM ${quoteName(`${t.schema}.${t.table}`)}`).cursor(max)) {
          const now = Date.now();
          const source = { db: this.db, schema: t.schema, table: t.table, lsn: exported.lsn, txId: null, ts_ms: now };
          const events = batch.map((raw) => {
            const after = decodeRow(t.columns, raw);
            return changeEvent({ before: null, after, op: "r", source, ts_ms: now }, keyOf(t.key, after));
          });
          if (!(await this.deliver(events))) throw new Error("stopped during the initial snapshot; it will be taken again");
          rows += events.length;
        }
        log.info({ table: `${t.schema}.${t.table}`, rows }, "snapshot of table done");
      }
    });
  }

  private replicationConfig(): pg.ClientConfig {
    const options = Object.entries(TEXT_SESSION).map(([k, v]) => `-c ${k}=${v.replace(/ /g, "")}`).join(" ");
    return { connectionString: this.config.url, options, application_name: "tributary-cdc", replication: "database", connectionTimeoutMillis: 10_000 } as pg.ClientConfig;
  }

  /** Streams from the slot, reconnecting after failures from the last acknowledged LSN. */
  private async stream(): Promise<void> {
    const plugin = new TextPgoutput({ protoVersion: 1, publicationNames: [this.config.publication!] });
    while (this.running) {
      const service = new LogicalReplicationService(this.replicationConfig(), {
        acknowledge: { auto: false, timeoutSeconds: 0 },
        flowControl: { enabled: true },
      });
      this.service = service;
      service.on("data", (lsn: string, msg: Pgoutput.Message) => this.onMessage(service, lsn, msg));
      service.on("heartbeat", (_lsn: string, _ts: number, respond: boolean) => {
        if (respond) this.ack(service, this.acked);
      });
      service.on("error", (e: unknown) => log.warn({ err: e, slot: this.slot }, "replication connection error"));
      this.streaming = false;
      service.on("start", () => {
        this.streaming = true;
        if (!this.running) void service.stop();
      });
      try {
        await service.subscribe(plugin, this.slot, formatLsn(this.acked));
      } catch (e) {
        if (this.running) log.warn({ err: e, slot: this.slot }, "replication stream failed; reconnecting");
      }
      await service.stop();
      // What was received but not put is sent again from the acknowledged LSN.
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      await this.chain;
      this.pending = [];
      this.pendingAck = null;
      if (this.running) await new Promise((r) => setTimeout(r, RECONNECT_MS));
    }
  }

  private async onMessage(service: LogicalReplicationService, lsn: string, msg: Pgoutput.Message): Promise<void> {
    if (!this.running || service !== this.service) return;
    try {
      switch (msg.tag) {
        case "begin":
          this.tx = { xid: msg.xid, ts: Number((msg.commitTime as bigint) / 1000n) };
          return;
        case "relation":
          await this.relation(msg);
          return;
        case "insert":
        case "update":
        case "delete":
        case "truncate":
          this.change(Number(parseLsn(lsn)), msg);
          if (this.pending.length >= this.config["batch.max.rows"]) await this.flush();
          return;
        case "commit":
          this.pendingAck = parseLsn(msg.commitEndLsn!);
          if (this.pending.length >= this.config["batch.max.rows"]) await this.flush();
          else this.timer ??= setTimeout(() => void this.flush(), LINGER_MS);
          return;
        default:
          return;
      }
    } catch (e) {
      // The library would go on to the next message; reconnecting instead resends this one.
      log.error({ err: e, slot: this.slot, lsn }, "could not turn a replication message into a change event; reconnecting");
      await service.stop();
    }
  }

  private async relation(msg: Pgoutput.MessageRelation): Promise<void> {
    const known = this.tables.find((t) => t.schema === msg.schema && t.table === msg.name);
    // A publication made by hand may carry more tables than configured; their keys are looked up once.
    const key = known ? known.key : (await describeTable(sqlClient(this.sql!), `${quoteName(msg.schema)}.${quoteName(msg.name)}`)).key;
    this.relations.set(msg.relationOid, {
      schema: msg.schema,
      table: msg.name,
      columns: msg.columns.map((c) => ({ name: c.name, oid: c.typeOid })),
      key: key.length > 0 ? key : msg.keyColumns,
    });
  }

  private change(lsn: number, msg: Pgoutput.MessageInsert | Pgoutput.MessageUpdate | Pgoutput.MessageDelete | Pgoutput.MessageTruncate): void {
    const emit = (rel: Relation, op: ChangeEnvelope["op"], before: Row | null, after: Row | null) => {
      const env: ChangeEnvelope = { before, after, op, source: { db: this.db, schema: rel.schema, table: rel.table, lsn, txId: this.tx.xid, ts_ms: this.tx.ts }, ts_ms: Date.now() };
      this.pending.push(changeEvent(env, op === "t" ? undefined : keyOf(rel.key, after ?? before)));
    };
    if (msg.tag === "truncate") {
      for (const r of msg.relations) emit(this.rel(r.relationOid), "t", null, null);
      return;
    }
    const rel = this.rel(msg.relation.relationOid);
    if (msg.tag === "insert") return emit(rel, "c", null, decodeRow(rel.columns, msg.new));
    if (msg.tag === "delete") return emit(rel, "d", decodeRow(rel.columns, (msg.old ?? msg.key)!), null);
    const after = decodeRow(rel.columns, msg.new);
    const before = msg.old ? decodeRow(rel.columns, msg.old) : msg.key ? decodeRow(rel.columns, msg.key) : null;
    // A changed primary key is a different row: a delete of the old key and a create of the new, as Debezium does.
    if (before && keyOf(rel.key, before) !== keyOf(rel.key, after)) {
      emit(rel, "d", before, null);
      return emit(rel, "c", null, after);
    }
    emit(rel, "u", msg.old ? before : null, after);
  }

  private rel(oid: number): Relation {
    const r = this.relations.get(oid);
    if (!r) throw new Error(`change for relation ${oid} arrived before its relation message`);
    return r;
  }

  /** Puts what is pending, then acknowledges the last commit it completes; serialized so acknowledgements stay in order. */
  private flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const events = this.pending;
    const ack = this.pendingAck;
    const service = this.service!;
    this.pending = [];
    this.pendingAck = null;
    this.chain = this.chain.then(async () => {
      if (events.length > 0 && !(await this.deliver(events))) return;
      if (ack === null || ack <= this.acked || !this.running) return;
      this.acked = ack;
      this.ack(service, ack);
      this.position = { ...this.position, slot: this.slot, snapshotDone: true, lsn: formatLsn(ack) };
      await this.file.save(this.position);
    }).catch((e: unknown) => {
      // The server holds the acknowledged position too; reconnecting resumes from it.
      log.error({ err: e, slot: this.slot }, "could not record the acknowledged position; reconnecting");
      void service.stop();
    });
    return this.chain;
  }

  private ack(service: LogicalReplicationService, lsn: bigint): void {
    // The library reports lsn + 1 as flushed; the server skips a transaction whose commit record starts
    // below the confirmed LSN, so we hand it one less to confirm exactly the end of our last commit.
    void service.acknowledge(formatLsn(lsn > 0n ? lsn - 1n : 0n)).catch((e: unknown) => log.warn({ err: e }, "could not send a standby status update"));
  }

  private async readLag(): Promise<void> {
    try {
      const [row] = await this.sql!<{ lag: string | null }[]>`
        SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::int8::text AS lag FROM pg_replication_slots WHERE slot_name = ${this.slot}`;
      this.lag = row?.lag ? Number(row.lag) : 0;
    } catch (e) {
      log.warn({ err: e, slot: this.slot }, "could not read the replication slot's lag");
    }
  }
}
