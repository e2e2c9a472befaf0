"use client";
import { ClusterLink } from "@/components/clusters/cluster-link";
import { formatCount } from "@/components/format";
import { trpc } from "@/components/trpc";
import { Apply } from "@/components/apply";
import { Card, DataTable, type Column } from "@/components/ui";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

type Preview = inferRouterOutputs<AppRouter>["groups"]["previewReset"];
type Execution = ReturnType<typeof trpc.groups.resetOffsets.useMutation>;

const columns: Column<Preview["partitions"][number]>[] = [
  { key: "topic", header: "Topic", render: (r) => r.topic },
  { key: "partition", header: "Partition", align: "right", render: (r) => r.partition },
  { key: "current", header: "Current offset", align: "right", render: (r) => (r.current === null ? <span className="muted">none</span> : r.current.toLocaleString()) },
  { key: "next", header: "New offset", align: "right", render: (r) => `→ ${r.next.toLocaleString()}` },
  { key: "reread", header: "Re-read", align: "right", cellClass: (r) => (r.reread ? "delta-minus" : undefined), render: (r) => r.reread.toLocaleString() },
  { key: "skipped", header: "Skipped", align: "right", cellClass: (r) => (r.skipped ? "delta-plus" : undefined), render: (r) => r.skipped.toLocaleString() },
];

/** Per partition: the committed offset, the new one, and how many records that re-reads or skips. */
function PreviewTable({ p }: { p: Preview }) {
  return (
    <DataTable
      label="Reset preview"
      variant="compact"
      rows={p.partitions}
      rowKey={(r) => `${r.topic}-${r.partition}`}
      columns={columns}
      footer={
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
      }
    />
  );
}

interface Props {
  p: Preview;
  groupId: string;
  operator: boolean;
  execute: Execution;
  onExecute: () => void;
}

/** The dry run's result, and executing it: only for operators, only once the group is empty, after a confirmation. */
export function ResetPreview({ p, groupId, operator, execute, onExecute }: Props) {
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
      <Apply
        allowed={operator}
        role="operator"
        what="Resetting offsets"
        question={`Apply to ${p.totals.partitions} partitions of ${groupId}?`}
        confirmLabel="Yes, reset offsets"
        applyLabel="Execute reset"
        pendingLabel="Resetting…"
        pending={execute.isPending}
        disabled={blocked || p.partitions.length === 0}
        onApply={onExecute}
        done={
          execute.isSuccess && (
            <p className="success" role="status">
              Reset applied to {execute.data.totals.partitions} partitions. Restart the consumers to read from the new offsets. See it in the{" "}
              <ClusterLink href={`/audit?action=groups.resetOffsets&target=${encodeURIComponent(groupId)}`}>audit trail</ClusterLink>.
            </p>
          )
        }
        error={execute.error}
      />
    </Card>
  );
}
