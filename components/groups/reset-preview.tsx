"use client";
import { ClusterLink } from "@/components/clusters/cluster-link";
import { formatCount } from "@/components/format";
import { trpc } from "@/components/trpc";
import { Card, ErrorNote } from "@/components/ui";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

type Preview = inferRouterOutputs<AppRouter>["groups"]["previewReset"];
type Execution = ReturnType<typeof trpc.groups.resetOffsets.useMutation>;

/** Per partition: the committed offset, the new one, and how many records that re-reads or skips. */
function PreviewTable({ p }: { p: Preview }) {
  return (
    <table className="data compact" aria-label="Reset preview">
      <thead>
        <tr>
          <th>Topic</th>
          <th className="num">Partition</th>
          <th className="num">Current offset</th>
          <th className="num">New offset</th>
          <th className="num">Re-read</th>
          <th className="num">Skipped</th>
        </tr>
      </thead>
      <tbody>
        {p.partitions.map((r) => (
          <tr key={`${r.topic}-${r.partition}`}>
            <td>{r.topic}</td>
            <td className="num">{r.partition}</td>
            <td className="num">{r.current === null ? <span className="muted">none</span> : r.current.toLocaleString()}</td>
            <td className="num">→ {r.next.toLocaleString()}</td>
            <td className={`num ${r.reread ? "delta-minus" : ""}`}>{r.reread.toLocaleString()}</td>
            <td className={`num ${r.skipped ? "delta-plus" : ""}`}>{r.skipped.toLocaleString()}</td>
          </tr>
        ))}
        <tr className="totals">
          <td>Total</td>
          <td className="num">{p.totals.partitions}</td>
          <td />
          <td />
          <td className="num" data-testid="total-reread">
            {p.totals.reread.toLocaleString()}
          </td>
          <td className="num" data-testid="total-skipped">
            {p.totals.skipped.toLocaleString()}
          </td>
        </tr>
      </tbody>
    </table>
  );
}

interface Props {
  p: Preview;
  groupId: string;
  operator: boolean;
  execute: Execution;
  confirming: boolean;
  setConfirming: (on: boolean) => void;
  onExecute: () => void;
}

/** The dry run's result, and executing it: only for operators, only once the group is empty, after a confirmation. */
export function ResetPreview({ p, groupId, operator, execute, confirming, setConfirming, onExecute }: Props) {
  const blocked = p.members.length > 0;
  return (
    <Card title="Preview">
      <PreviewTable p={p} />
      <p className="hint">
        The group will re-read {formatCount(p.totals.reread)} records and skip {formatCount(p.totals.skipped)} across {p.totals.partitions} partitions.
      </p>
      {p.untouched.length > 0 && (
        <div className="warn-note" role="status" aria-label="Partitions left as they are">
          Left as they are ({p.untouched.length}):{" "}
          {p.untouched.map((u) => `${u.topic}-${u.partition}`).join(", ")}: {p.untouched[0].reason}.
        </div>
      )}
      {blocked && (
        <div className="warn-note" role="status">
          The group is {p.state} with {p.members.length} connected member{p.members.length === 1 ? "" : "s"}: {p.members.map((m) => `${m.clientId} (${m.host})`).join(", ")}. Stop these consumers, then preview again to execute.
        </div>
      )}
      {!operator ? (
        <p className="muted">Resetting offsets needs the operator role; you can preview only.</p>
      ) : execute.isSuccess ? (
        <p className="success" role="status">
          Reset applied to {execute.data.totals.partitions} partitions. Restart the consumers to read from the new offsets. See it in the{" "}
          <ClusterLink href={`/audit?action=groups.resetOffsets&target=${encodeURIComponent(groupId)}`}>audit trail</ClusterLink>.
        </p>
      ) : confirming ? (
        <div className="reset-actions">
          <strong>
            Apply to {p.totals.partitions} partitions of {groupId}?
          </strong>
          <button type="button" className="danger" onClick={onExecute} disabled={execute.isPending}>
            {execute.isPending ? "Resetting…" : "Yes, reset offsets"}
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <div className="reset-actions">
          <button type="button" className="primary" disabled={blocked || p.partitions.length === 0} onClick={() => setConfirming(true)}>
            Execute reset
          </button>
        </div>
      )}
      <ErrorNote error={execute.error} />
    </Card>
  );
}
