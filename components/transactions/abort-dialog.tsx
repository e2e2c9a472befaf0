"use client";
import { ClusterLink } from "@/components/clusters/cluster-link";
import { formatCount, formatDuration } from "@/components/format";
import { trpc } from "@/components/trpc";
import { ErrorNote, Loading } from "@/components/ui";
import { heldBack } from "./age";

interface Props {
  cluster: string;
  transactionalId: string;
  onClose: () => void;
}

/**
 * The preview of aborting one transaction, read fresh from its coordinator: what it holds back and
 * what the abort does; applied only on confirmation, with the producer shown here as the one to fence.
 */
export function AbortDialog({ cluster, transactionalId, onClose }: Props) {
  const preview = trpc.transactions.previewAbort.useQuery({ cluster, transactionalId }, { refetchOnWindowFocus: false, retry: false });
  const utils = trpc.useUtils();
  const abort = trpc.transactions.abort.useMutation({ onSuccess: () => void utils.transactions.open.invalidate() });
  const p = preview.data;
  const held = p ? heldBack(p.stable) : 0;
  // Once aborted, the offsets read after the abort: what read_committed consumers may read now.
  const stable = abort.data?.stable ?? p?.stable ?? [];

  return (
    <section className="card txn-abort" role="dialog" aria-label={`Abort transaction ${transactionalId}`}>
      <h2>
        {abort.isSuccess ? "Aborted transaction" : "Abort transaction"} <code>{transactionalId}</code>
        {abort.isSuccess ? "" : "?"}
      </h2>
      {preview.isPending && <Loading label="Asking the transaction's coordinator for its current state…" />}
      <ErrorNote error={preview.error} retry={() => void preview.refetch()} />
      {p && (
        <>
          <dl className="txn-facts">
            <dt>Producer</dt>
            <dd>
              id {p.producerId}, epoch {p.producerEpoch}
              {abort.data && ` → ${abort.data.producerEpoch} (epoch ${p.producerEpoch} fenced)`}
            </dd>
            <dt>State</dt>
            <dd>{abort.isSuccess ? <span className="txn-state">Aborted (was {p.state})</span> : <span className={`txn-state ${p.state}`}>{p.state}</span>}</dd>
            <dt>Open for</dt>
            <dd>{p.ageMs === null ? "–" : `${formatDuration(p.ageMs)} (timeout ${formatDuration(p.timeoutMs)})`}</dd>
          </dl>
          {stable.length > 0 ? (
            <table className="data compact" aria-label="Partitions held back">
              <thead>
                <tr>
                  <th>Topic</th>
                  <th className="num">Partition</th>
                  <th className="num">Last stable offset</th>
                  <th className="num">High watermark</th>
                  <th className="num">Held back</th>
                </tr>
              </thead>
              <tbody>
                {stable.map((s) => (
                  <tr key={`${s.topic}-${s.partition}`}>
                    <td>{s.topic}</td>
                    <td className="num">{s.partition}</td>
                    <td className="num">{s.lastStableOffset.toLocaleString()}</td>
                    <td className="num">{s.highWatermark.toLocaleString()}</td>
                    <td className="num">{(s.highWatermark - s.lastStableOffset).toLocaleString()}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">It has written to no partition yet, so it holds no read_committed consumer back.</p>
          )}
          {p.refusal ? (
            <p className="txn-note" role="status">
              {p.refusal}
            </p>
          ) : abort.isSuccess ? (
            <p className="success" role="status">
              Aborted. Producer {abort.data.producerId} is now at epoch {abort.data.producerEpoch}; read_committed consumers of its partitions now read past its records. See it in the{" "}
              <ClusterLink href={`/audit?action=transactions.abort&target=${encodeURIComponent(transactionalId)}`}>audit trail</ClusterLink>.
            </p>
          ) : (
            <>
              <ul className="txn-effects">
                <li>
                  The coordinator aborts the transaction: its records on {p.stable.length} {p.stable.length === 1 ? "partition" : "partitions"} are never shown to read_committed consumers, which then read past the{" "}
                  {formatCount(held)} {held === 1 ? "record" : "records"} held back now.
                </li>
                <li>
                  Producer {p.producerId} is fenced, as if a new instance with this transactional id had started: its next send or commit fails with PRODUCER_FENCED (INVALID_PRODUCER_EPOCH for older clients), and the application must restart it.
                </li>
                <li>Its earlier, committed transactions stay as they are.</li>
              </ul>
              <div className="txn-actions">
                <button type="button" className="danger" disabled={abort.isPending} onClick={() => abort.mutate({ cluster, transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch })}>
                  {abort.isPending ? "Aborting…" : "Abort transaction"}
                </button>
                <button type="button" onClick={onClose} disabled={abort.isPending}>
                  Cancel
                </button>
              </div>
            </>
          )}
          <ErrorNote error={abort.error} />
        </>
      )}
      {(abort.isSuccess || p?.refusal || preview.error) && (
        <div className="txn-actions">
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      )}
    </section>
  );
}
