/**
 * Transactions benchmark: transactional produce (KIP-98: AddPartitionsToTxn, Produce, EndTxn per
 * transaction) with 100-record and 1,000-record transactions, and a read_committed consumer of
 * what they wrote, next to the same producers without transactions (idempotent, acks=all) and a
 * read_uncommitted consumer, all against one broker in its own process in the same run.
 * 100-byte values, durable topics (fsync before acknowledging), PRODUCERS producers at once.
 *
 * `npm run bench:txn [-- --quick] [-- --profile]` prints a markdown table and writes
 * bench/results/txn.json (txn-quick.json with --quick); --profile writes the broker's CPU profile
 * to bench/results/profiles/.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BrokerConnection } from "@/server/kafka/client/connection";
import { Acks, CONSUMER_REPLICA_ID, FetchSession, IsolationLevel } from "@/server/kafka/constants";
import { ErrorCode } from "@/server/kafka/errors";
import { Apis } from "@/server/kafka/messages";
import { BASE_SEQUENCE, encodeRecordBatch, forEachBatch, PRODUCER_EPOCH, PRODUCER_ID, rewriteCrc } from "@/server/kafka/records/batch";
import { checkProduce, createTopic, deleteTopic, open, request, startBroker } from "./broker";
import { formatSummary, markdownTable } from "./lib/markdown";
import { type Summary, summarize } from "./lib/stats";

const VALUE_BYTES = 100;
const PARTITIONS = 4;
/**
 * Transactional producers at once, each with its own connection and one transaction at a time;
 * the baseline is as many idempotent producers, one produce each at a time. A transaction waits
 * for two fsyncs in a row (its records, PREPARE; the markers ride the next write) and two more
 * round trips where a produce waits for one fsync; the per-request times show which.
 */
const PRODUCERS = 8;
const MANY_PRODUCERS = 32;
/** Alternations of non-transactional and transactional produce per measurement. */
const SLICES = 4;
const PRODUCE_VERSION = 9;
const FETCH_VERSION = 12;
const RESULTS_DIR = fileURLToPath(new URL("./results/", import.meta.url));

export interface TxnBenchResult {
  machine: string;
  runs: number;
  settings: string;
  rows: { name: string; records: number; recordsPerSecond: Summary }[];
  /** Mean time per request, the baseline's produce against each request of a transaction. */
  latency: { name: string; ms: Summary }[];
  ratio1000: Summary;
  ratioMany: Summary;
  markdown: string;
}

/** A batch of n records, written once; per request only its producer fields and sequence change (and so its CRC). */
function batchTemplate(n: number, transactional: boolean): Buffer {
  const value = Buffer.alloc(VALUE_BYTES, 0x61);
  return encodeRecordBatch(
    Array.from({ length: n }, () => ({ value })),
    { producerId: 0, producerEpoch: 0, baseSequence: 0, transactional },
  );
}

/** A producer's next produce request: one batch per partition, stamped with its id, epoch and each partition's next sequence. */
function nextRequest(template: Buffer, producerId: number, producerEpoch: number, sequences: number[], perPartition: number) {
  return sequences.map((sequence, index) => {
    sequences[index] += perPartition;
    return { index, records: stamp(template, producerId, producerEpoch, sequence) };
  });
}

async function initProducerId(c: BrokerConnection, transactionalId: string | null): Promise<{ producerId: number; producerEpoch: number }> {
  const init = await request(c, Apis.InitProducerId, 4, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
  if (init.errorCode !== ErrorCode.NONE) throw new Error(`InitProducerId failed with error ${init.errorCode}`);
  return init;
}

function stamp(template: Buffer, producerId: number, epoch: number, sequence: number): Buffer {
  const b = Buffer.from(template);
  b.writeBigInt64BE(BigInt(producerId), PRODUCER_ID);
  b.writeInt16BE(epoch, PRODUCER_EPOCH);
  b.writeInt32BE(sequence, BASE_SEQUENCE);
  rewriteCrc(b, 0, b.length);
  return b;
}

/** Where a transaction's time goes: milliseconds summed over transactions, per request. */
interface Steps {
  add: number;
  produce: number;
  end: number;
  transactions: number;
}

const noSteps = (): Steps => ({ add: 0, produce: 0, end: 0, transactions: 0 });

function addSteps(into: Steps, s: Steps): void {
  into.add += s.add;
  into.produce += s.produce;
  into.end += s.end;
  into.transactions += s.transactions;
}

/** One transactional producer writing `transactions` transactions of `size` records spread over the partitions. */
async function transactionalProducer(c: BrokerConnection, topic: string, transactionalId: string, size: number, transactions: number): Promise<Steps> {
  const { producerId, producerEpoch } = await initProducerId(c, transactionalId);
  const template = batchTemplate(size / PARTITIONS, true);
  const sequences = new Array<number>(PARTITIONS).fill(0);
  const partitions = Array.from({ length: PARTITIONS }, (_, i) => i);
  const steps = noSteps();
  for (let i = 0; i < transactions; i++) {
    const t0 = performance.now();
    const added = await request(c, Apis.AddPartitionsToTxn, 3, { transactionalId, producerId, producerEpoch, topics: [{ name: topic, partitions }] });
    for (const t of added.resultsByTopic) for (const p of t.resultsByPartition) if (p.partitionErrorCode !== ErrorCode.NONE) throw new Error(`AddPartitionsToTxn failed with error ${p.partitionErrorCode}`);
    const partitionData = nextRequest(template, producerId, producerEpoch, sequences, size / PARTITIONS);
    const t1 = performance.now();
    checkProduce(await request(c, Apis.Produce, PRODUCE_VERSION, { transactionalId, acks: Acks.ALL, timeoutMs: 30_000, topicData: [{ name: topic, partitionData }] }));
    const t2 = performance.now();
    const ended = await request(c, Apis.EndTxn, 3, { transactionalId, producerId, producerEpoch, committed: true });
    if (ended.errorCode !== ErrorCode.NONE) throw new Error(`EndTxn failed with error ${ended.errorCode}`);
    const t3 = performance.now();
    steps.add += t1 - t0;
    steps.produce += t2 - t1;
    steps.end += t3 - t2;
    steps.transactions++;
  }
  return steps;
}

/** PRODUCERS transactional producers at once; returns seconds and where the time went. */
async function produceTransactions(bootstrap: string, topic: string, size: number, total: number, run: number, producers: number): Promise<{ seconds: number; steps: Steps }> {
  const conns = await Promise.all(Array.from({ length: producers }, () => open(bootstrap)));
  const perProducer = Math.ceil(total / size / producers);
  const started = performance.now();
  const each = await Promise.all(conns.map((c, i) => transactionalProducer(c, topic, `bench-${size}-${run}-${producers}-${i}`, size, perProducer)));
  const seconds = (performance.now() - started) / 1000;
  for (const c of conns) c.close();
  const steps = noSteps();
  for (const s of each) addSteps(steps, s);
  return { seconds, steps };
}

/**
 * The non-transactional baseline: the same producers without the transaction — idempotent, as
 * Kafka's producers are by default, acks=all, each with one produce request of the same shape
 * (size records over the partitions) at a time on its own connection. Returns seconds and the
 * produce requests' mean milliseconds.
 */
async function produceIdempotent(bootstrap: string, topic: string, size: number, total: number, producers: number): Promise<{ seconds: number; requestMs: number }> {
  const conns = await Promise.all(Array.from({ length: producers }, () => open(bootstrap)));
  const template = batchTemplate(size / PARTITIONS, false);
  const perProducer = Math.ceil(total / size / producers);
  let requestMs = 0;
  const started = performance.now();
  await Promise.all(
    conns.map(async (c) => {
      const { producerId, producerEpoch } = await initProducerId(c, null);
      const sequences = new Array<number>(PARTITIONS).fill(0);
      for (let i = 0; i < perProducer; i++) {
        const partitionData = nextRequest(template, producerId, producerEpoch, sequences, size / PARTITIONS);
        const t0 = performance.now();
        checkProduce(await request(c, Apis.Produce, PRODUCE_VERSION, { transactionalId: null, acks: Acks.ALL, timeoutMs: 30_000, topicData: [{ name: topic, partitionData }] }));
        requestMs += performance.now() - t0;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const c of conns) c.close();
  return { seconds, requestMs: requestMs / (perProducer * producers) };
}

/** Reads every partition from 0 until `records` data records arrived (markers are not records); returns seconds. */
async function consume(bootstrap: string, topic: string, records: number, isolationLevel: number): Promise<number> {
  const c = await open(bootstrap);
  const offsets = new Array<number>(PARTITIONS).fill(0);
  let seen = 0;
  const started = performance.now();
  while (seen < records) {
    const res = await request(c, Apis.Fetch, FETCH_VERSION, {
      replicaId: CONSUMER_REPLICA_ID,
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 32 << 20,
      isolationLevel,
      sessionId: FetchSession.NO_SESSION_ID,
      sessionEpoch: FetchSession.FINAL_EPOCH,
      topics: [{ topic, partitions: offsets.map((fetchOffset, partition) => ({ partition, fetchOffset, partitionMaxBytes: 8 << 20 })) }],
      forgottenTopicsData: [],
      rackId: "",
    });
    for (const p of res.responses[0].partitions) {
      if (p.errorCode !== ErrorCode.NONE) throw new Error(`fetch from ${topic}-${p.partitionIndex} failed with error ${p.errorCode}`);
      if (p.abortedTransactions?.length) throw new Error("every transaction committed, yet the fetch lists aborted ones");
      if (!p.records) continue;
      forEachBatch(p.records, (h) => {
        if (!h.control) seen += h.recordCount;
        offsets[p.partitionIndex] = h.baseOffset + h.lastOffsetDelta + 1;
      });
    }
  }
  const seconds = (performance.now() - started) / 1000;
  c.close();
  if (seen !== records) throw new Error(`consumed ${seen} records, expected ${records}`);
  return seconds;
}

export async function runTxnBench(opts: { quick: boolean; profileDir?: string }): Promise<TxnBenchResult> {
  const runs = opts.quick ? 2 : 3;
  // Each slice of a total is whole transactions for every producer (8 and 32 of them).
  const total100 = opts.quick ? 64_000 : 160_000;
  const total1000 = opts.quick ? 128_000 : 512_000;
  const dataDir = await mkdtemp(join(os.tmpdir(), "tributary-bench-txn-"));
  const broker = await startBroker(dataDir, opts.profileDir);
  const admin = await open(broker.bootstrap);
  const m = { plain1000: [] as number[], txn1000: [] as number[], txn100: [] as number[], plain100: [] as number[], consumePlain: [] as number[], consumeCommitted: [] as number[], ratio: [] as number[], plainMany: [] as number[], txnMany: [] as number[], ratioMany: [] as number[], plainMs: [] as number[], addMs: [] as number[], produceMs: [] as number[], endMs: [] as number[] };
  /**
   * Non-transactional and transactional produce in alternating slices into one topic each, so
   * whatever else loads the machine meanwhile weighs on both alike; returns records/s of each.
   */
  const alternate = async (name: string, size: number, total: number, run: number, producers: number) => {
    const plainTopic = `bench-plain${name}-${run}`;
    const txnTopic = `bench-txn${name}-${run}`;
    await createTopic(admin, plainTopic, PARTITIONS);
    await createTopic(admin, txnTopic, PARTITIONS);
    let plainSeconds = 0;
    let plainMs = 0;
    let txnSeconds = 0;
    const steps = noSteps();
    for (let slice = 0; slice < SLICES; slice++) {
      const plain = await produceIdempotent(broker.bootstrap, plainTopic, size, total / SLICES, producers);
      plainSeconds += plain.seconds;
      plainMs += plain.requestMs / SLICES;
      const txn = await produceTransactions(broker.bootstrap, txnTopic, size, total / SLICES, run * SLICES + slice, producers);
      txnSeconds += txn.seconds;
      addSteps(steps, txn.steps);
    }
    const perTxn = (ms: number) => ms / steps.transactions;
    return { plain: total / plainSeconds, txn: total / txnSeconds, plainTopic, txnTopic, plainMs, addMs: perTxn(steps.add), produceMs: perTxn(steps.produce), endMs: perTxn(steps.end) };
  };
  try {
    for (let run = 0; run < runs; run++) {
      const big = await alternate("1000", 1000, total1000, run, PRODUCERS);
      m.plain1000.push(big.plain);
      m.txn1000.push(big.txn);
      m.ratio.push(big.txn / big.plain);
      m.plainMs.push(big.plainMs);
      m.addMs.push(big.addMs);
      m.produceMs.push(big.produceMs);
      m.endMs.push(big.endMs);
      m.consumePlain.push(total1000 / (await consume(broker.bootstrap, big.plainTopic, total1000, IsolationLevel.READ_UNCOMMITTED)));
      m.consumeCommitted.push(total1000 / (await consume(broker.bootstrap, big.txnTopic, total1000, IsolationLevel.READ_COMMITTED)));
      await deleteTopic(admin, big.plainTopic);
      await deleteTopic(admin, big.txnTopic);

      const small = await alternate("100", 100, total100, run, PRODUCERS);
      m.plain100.push(small.plain);
      m.txn100.push(small.txn);
      await deleteTopic(admin, small.plainTopic);
      await deleteTopic(admin, small.txnTopic);

      const many = await alternate("many", 1000, total1000, run, MANY_PRODUCERS);
      m.plainMany.push(many.plain);
      m.txnMany.push(many.txn);
      m.ratioMany.push(many.txn / many.plain);
      await deleteTopic(admin, many.plainTopic);
      await deleteTopic(admin, many.txnTopic);
      process.stderr.write(
        `run ${run + 1}/${runs}: acks=all 1000/request ${Math.round(m.plain1000[run])}/s, txn 1000 ${Math.round(m.txn1000[run])}/s (${Math.round(m.ratio[run] * 100)} %), ` +
          `acks=all 100/request ${Math.round(m.plain100[run])}/s, txn 100 ${Math.round(m.txn100[run])}/s, consume ${Math.round(m.consumePlain[run])}/s, read_committed ${Math.round(m.consumeCommitted[run])}/s, ` +
          `${MANY_PRODUCERS} at once: acks=all ${Math.round(m.plainMany[run])}/s, txn 1000 ${Math.round(m.txnMany[run])}/s (${Math.round(m.ratioMany[run] * 100)} %)\n`,
      );
    }
  } finally {
    admin.close();
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  const rows = [
    { name: `idempotent produce, acks=all, 1,000 records per request, ${PRODUCERS} producers — records/s`, records: total1000, recordsPerSecond: summarize(m.plain1000) },
    { name: `transactional produce, 1,000-record transactions, ${PRODUCERS} producers — records/s`, records: total1000, recordsPerSecond: summarize(m.txn1000) },
    { name: `idempotent produce, acks=all, 100 records per request, ${PRODUCERS} producers — records/s`, records: total100, recordsPerSecond: summarize(m.plain100) },
    { name: `transactional produce, 100-record transactions, ${PRODUCERS} producers — records/s`, records: total100, recordsPerSecond: summarize(m.txn100) },
    { name: `idempotent produce, acks=all, 1,000 records per request, ${MANY_PRODUCERS} producers — records/s`, records: total1000, recordsPerSecond: summarize(m.plainMany) },
    { name: `transactional produce, 1,000-record transactions, ${MANY_PRODUCERS} producers — records/s`, records: total1000, recordsPerSecond: summarize(m.txnMany) },
    { name: "consume, read_uncommitted (non-transactional topic) — records/s", records: total1000, recordsPerSecond: summarize(m.consumePlain) },
    { name: "consume, read_committed (transactional topic) — records/s", records: total1000, recordsPerSecond: summarize(m.consumeCommitted) },
  ];
  const latency = [
    { name: `an idempotent produce of 1,000 records, acks=all, ${PRODUCERS} producers — ms`, ms: summarize(m.plainMs) },
    { name: `in a 1,000-record transaction, ${PRODUCERS} producers: AddPartitionsToTxn — ms`, ms: summarize(m.addMs) },
    { name: `… its Produce (acks=all) — ms`, ms: summarize(m.produceMs) },
    { name: `… its EndTxn (commit) — ms`, ms: summarize(m.endMs) },
  ];
  const ratio1000 = summarize(m.ratio.map((r) => r * 100));
  const ratioMany = summarize(m.ratioMany.map((r) => r * 100));
  const markdown = markdownTable(
    ["measure (100-byte values, durable topics, 4 partitions)", "result", "target"],
    [
      ...rows.map((r) => [r.name, formatSummary(r.recordsPerSecond), ""]),
      ...latency.map((l) => [l.name, formatSummary(l.ms), ""]),
      [`1,000-record transactions as % of idempotent acks=all, ${PRODUCERS} producers (same run)`, formatSummary(ratio1000, "%"), "≥ 70 %"],
      [`1,000-record transactions as % of idempotent acks=all, ${MANY_PRODUCERS} producers (same run)`, formatSummary(ratioMany, "%"), "≥ 70 %"],
    ],
    ["left", "right", "right"],
  );
  return {
    machine: `${os.cpus()[0]?.model ?? "unknown CPU"}, ${os.cpus().length} cores, Node ${process.version}`,
    runs,
    settings: `${PRODUCERS} (and ${MANY_PRODUCERS}) transactional producers at once, one transaction each at a time (AddPartitionsToTxn v3, Produce v${PRODUCE_VERSION} acks=all with one batch per partition, EndTxn v3 commit); the baseline is as many idempotent producers (InitProducerId without a transactional id), each with one Produce of the same shape at a time, the two alternating in ${SLICES} slices per measurement; consumers: one Fetch v${FETCH_VERSION} in flight`,
    rows,
    latency,
    ratio1000,
    ratioMany,
    markdown,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const profileDir = process.argv.includes("--profile") ? join(RESULTS_DIR, "profiles") : undefined;
  if (profileDir) await mkdir(profileDir, { recursive: true });
  const quick = process.argv.includes("--quick");
  const result = await runTxnBench({ quick, profileDir });
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(join(RESULTS_DIR, quick ? "txn-quick.json" : "txn.json"), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${result.markdown}\n\n${result.runs} runs; median (min–max). ${result.machine}. ${result.settings}\n`);
  process.exit(0);
}
