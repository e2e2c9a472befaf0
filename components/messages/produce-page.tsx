"use client";
import { useState, type FormEvent } from "react";
import { useCluster } from "@/components/clusters/cluster-picker";
import { useCanOperate } from "@/components/roles";
import { formatCount } from "@/components/format";
import { KeyValueRows } from "@/components/topics/create-topic";
import { TopicHeader } from "@/components/topics/topic-header";
import { trpc } from "@/components/trpc";
import { Card, ErrorNote, Options } from "@/components/ui";
import { jsonProblem, parseLine, type UploadRecord } from "./records";

/** The same chunk size the server accepts per produceBatch call. */
const CHUNK = 500;

function Upload({ cluster, topic }: { cluster: string; topic: string }) {
  const batch = trpc.messages.produceBatch.useMutation();
  const [state, setState] = useState<{ done: number; total: number; running: boolean; message?: string; error?: string }>({ done: 0, total: 0, running: false });

  const run = async (file: File) => {
    setState({ done: 0, total: 0, running: true });
    try {
      const lines = (await file.text()).split(/\r?\n/);
      const records: { rec: UploadRecord; line: number }[] = [];
      lines.forEach((l, i) => {
        if (l.trim()) records.push({ rec: parseLine(l, i + 1), line: i + 1 });
      });
      if (records.length === 0) throw new Error("The file has no records: put one JSON value or record per line.");
      setState({ done: 0, total: records.length, running: true });
      for (let i = 0; i < records.length; i += CHUNK) {
        const chunk = records.slice(i, i + CHUNK);
        await batch.mutateAsync({ cluster, topic, firstLine: chunk[0].line, records: chunk.map((c) => c.rec) });
        setState({ done: i + chunk.length, total: records.length, running: true });
      }
      setState({ done: records.length, total: records.length, running: false, message: `Produced ${formatCount(records.length)} records from ${file.name}.` });
    } catch (err) {
      setState((s) => ({ ...s, running: false, error: `${(err as Error).message}${s.done ? ` (${s.done} records were produced before this)` : ""}` }));
    }
  };

  const pct = state.total ? (state.done / state.total) * 100 : 0;
  return (
    <Card title="Upload a JSON-lines file">
      <p className="hint muted">
        One record per line: <code>{'{"key": "k1", "value": {"any": "json"}, "headers": {"h": "v"}, "partition": 0}'}</code>, or any JSON value on its own.
      </p>
      <div className="inline-form">
        <input
          type="file"
          accept=".jsonl,.ndjson,.json,.txt"
          aria-label="JSON-lines file"
          disabled={state.running}
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void run(f);
            e.target.value = "";
          }}
        />
        {(state.running || state.total > 0) && (
          <>
            <div className="progress" role="progressbar" aria-label="Upload progress" aria-valuenow={Math.round(pct)} aria-valuemin={0} aria-valuemax={100}>
              <div style={{ width: `${pct}%` }} />
            </div>
            <span className="muted">
              {formatCount(state.done)} / {formatCount(state.total)}
            </span>
          </>
        )}
        {state.message && <p className="success">{state.message}</p>}
        {state.error && <ErrorNote error={{ message: state.error }} />}
      </div>
    </Card>
  );
}

/** Kafka's compression.type values: the batch the record goes in is compressed with the codec picked. */
const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
type Codec = (typeof CODECS)[number];

export function ProducePage({ topic }: { topic: string }) {
  const cluster = useCluster();
  const canProduce = useCanOperate();
  const meta = trpc.topics.get.useQuery({ cluster, topic });
  const [key, setKey] = useState("");
  const [value, setValue] = useState("");
  const [headers, setHeaders] = useState<{ key: string; value: string }[]>([]);
  const [partition, setPartition] = useState("");
  const [tombstone, setTombstone] = useState(false);
  const [compression, setCompression] = useState<Codec>("none");
  const [sent, setSent] = useState<string[]>([]);
  const produce = trpc.messages.produce.useMutation({
    onSuccess: (r, v) => setSent((s) => [`Produced ${v.value === null ? "a tombstone " : ""}to partition ${r.partition} at offset ${r.offset}${v.compression === "none" ? "" : ` (${v.compression})`}.`, ...s].slice(0, 5)),
  });
  const problem = tombstone ? undefined : jsonProblem(value);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (problem) return;
    produce.mutate({
      cluster,
      topic,
      key: key === "" ? null : key,
      value: tombstone ? null : value,
      headers: headers.filter((h) => h.key.trim()),
      partition: partition === "" ? undefined : Number(partition),
      compression,
    });
  };

  return (
    <>
      <TopicHeader topic={topic} view="produce" />
      {!canProduce && <ErrorNote error={{ message: "Producing needs the operator or admin role; ask an admin for access." }} />}
      <ErrorNote error={meta.error} retry={() => void meta.refetch()} />
      <Card title="Record">
        <form className="stack" onSubmit={submit}>
          <div className="form-grid">
            <label>
              Key
              <input value={key} onChange={(e) => setKey(e.target.value)} aria-label="Key" placeholder="none" />
            </label>
            <label>
              Partition
              <select value={partition} onChange={(e) => setPartition(e.target.value)} aria-label="Partition">
                <option value="">by key (partitioner)</option>
                {Array.from({ length: meta.data?.partitions.length ?? 0 }, (_, i) => (
                  <option key={i} value={i}>
                    {i}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Compression
              <select value={compression} onChange={(e) => setCompression(e.target.value as Codec)} aria-label="Compression">
                <Options values={CODECS} />
              </select>
            </label>
            <label className="check">
              <input type="checkbox" checked={tombstone} onChange={(e) => setTombstone(e.target.checked)} /> Tombstone (null value)
            </label>
          </div>
          <label>
            Value
            <textarea rows={8} disabled={tombstone} value={tombstone ? "" : value} onChange={(e) => setValue(e.target.value)} aria-label="Value" aria-invalid={Boolean(problem)} placeholder={tombstone ? "null: deletes the key from a compacted topic" : '{"hello": "world"} or any text'} className="mono" />
            {problem ? <span className="hint error-text">Looks like JSON but does not parse: {problem}</span> : value.trim() && jsonProblem(value) === undefined && /^[[{]/.test(value.trim()) ? <span className="hint success">Valid JSON</span> : null}
          </label>
          <div>
            <h3>Headers</h3>
            <KeyValueRows rows={headers} onChange={setHeaders} keyLabel="Header" valueLabel="Header value" />
          </div>
          <ErrorNote error={produce.error} />
          <div className="actions">
            <button type="submit" className="primary" disabled={!canProduce || produce.isPending || Boolean(problem)}>
              {produce.isPending ? "Producing…" : "Produce"}
            </button>
          </div>
          {sent.map((s, i) => (
            <p key={i} className={i === 0 ? "success" : "muted"}>
              {s}
            </p>
          ))}
        </form>
      </Card>
      {canProduce && <Upload cluster={cluster} topic={topic} />}
    </>
  );
}
