"use client";
import type { inferRouterOutputs } from "@trpc/server";
import { useState, type FormEvent } from "react";
import { Apply } from "@/components/apply";
import { ClusterLink } from "@/components/clusters/cluster-link";
import { formatBytes, formatCount } from "@/components/format";
import { trpc } from "@/components/trpc";
import { Card, DataTable, ErrorNote, Loading, Options, type Column } from "@/components/ui";
import type { AppRouter } from "@/server/api/root";
import { formatTargets, parseTargets, type MoveTarget } from "./move-targets";

type Outputs = inferRouterOutputs<AppRouter>["brokers"];
type MovePlan = Outputs["previewDrain"];

const bytes = (n: number | null) => (n === null ? <span className="muted">unknown</span> : <span title={`${n.toLocaleString()} bytes`}>{formatBytes(n)}</span>);
const list = (ids: number[]) => `[${ids.join(", ")}]`;
const asMoves = (p: MovePlan) => p.moves.map(({ topic, partition, from, to }) => ({ topic, partition, from, to }));

type Move = MovePlan["moves"][number];
const partitionKey = (r: { topic: string; partition: number }) => `${r.topic}-${r.partition}`;
const topicColumn = { key: "topic", header: "Topic", render: (r: { topic: string }) => r.topic };
const partitionColumn = { key: "partition", header: "Partition", align: "right" as const, render: (r: { partition: number }) => r.partition };

const moveColumns: Column<Move>[] = [
  topicColumn,
  partitionColumn,
  {
    key: "replicas",
    header: "Replicas",
    render: (m) => (
      <>
        <code>{list(m.from)}</code> → <code>{list(m.to)}</code>
      </>
    ),
  },
  { key: "leader", header: "Leader", render: (m) => (m.leaderAfter === m.leader ? <span className="muted">stays on {m.leader}</span> : <strong>{`${m.leader < 0 ? "none" : m.leader} → ${m.leaderAfter}`}</strong>) },
  { key: "copy", header: "To copy", align: "right", render: (m) => bytes(m.bytesToCopy) },
];

/** Current → target replicas per partition, the leadership change and the bytes the new replicas copy. */
function MovesTable({ plan, label }: { plan: MovePlan; label: string }) {
  return (
    <DataTable
      label={label}
      variant="compact"
      rows={plan.moves}
      rowKey={partitionKey}
      columns={moveColumns}
      footer={
        <tr className="totals">
          <td>Total</td>
          <td className="num">{formatCount(plan.totals.partitions)}</td>
          <td />
          <td>{formatCount(plan.totals.leadershipMoves)} leadership moves</td>
          <td className="num" data-testid="total-bytes">
            {bytes(plan.totals.bytesToCopy)}
          </td>
        </tr>
      }
    />
  );
}

type Election = Outputs["previewElection"][number];
type Elected = Outputs["electPreferred"][number];
type Ongoing = Outputs["reassignments"][number];

const electionColumns: Column<Election>[] = [
  topicColumn,
  partitionColumn,
  { key: "leader", header: "Leader", render: (e) => `${e.leader < 0 ? "none" : e.leader} → ${e.preferred}` },
  { key: "note", header: "Note", render: (e) => (e.blocked ? <span className="warn-text">will fail: {e.blocked}</span> : <span className="muted">ready</span>) },
];

const electedColumns: Column<Elected>[] = [
  topicColumn,
  partitionColumn,
  { key: "result", header: "Result", cellClass: (r) => (r.ok ? "success" : "error-text"), render: (r) => <span title={r.error}>{r.words}</span> },
];

const ongoingColumns: Column<Ongoing>[] = [
  topicColumn,
  partitionColumn,
  { key: "adding", header: "Adding", render: (r) => <code>{list(r.addingReplicas)}</code> },
  { key: "removing", header: "Removing", render: (r) => <code>{list(r.removingReplicas)}</code> },
  {
    key: "copied",
    header: "Copied",
    render: (r) =>
      r.copiedBytes === null || r.totalBytes === null ? (
        <span className="muted">unknown</span>
      ) : (
        <>
          <progress max={Math.max(1, r.totalBytes)} value={r.copiedBytes} /> {formatBytes(r.copiedBytes)} of {formatBytes(r.totalBytes)}
        </>
      ),
  },
];

const audited = (action: string) => (
  <>
    {" "}
    See it in the <ClusterLink href={`/audit?action=${action}`}>audit trail</ClusterLink>.
  </>
);

/** Move chosen partitions to target replica lists (AlterPartitionReassignments). */
export function ReassignCard({ cluster, admin }: { cluster: string; admin: boolean }) {
  const [text, setText] = useState("");
  const [topic, setTopic] = useState("");
  const [targets, setTargets] = useState<MoveTarget[] | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const topics = trpc.topics.list.useQuery({ cluster });
  const current = trpc.topics.get.useQuery({ cluster, topic }, { enabled: topic !== "" });
  const preview = trpc.brokers.previewReassign.useQuery({ cluster, targets: targets ?? [] }, { enabled: targets !== null, refetchOnWindowFocus: false, retry: false });
  const utils = trpc.useUtils();
  const apply = trpc.brokers.reassign.useMutation({ onSuccess: () => void utils.brokers.invalidate() });
  const edit = (next: string) => {
    setText(next);
    setTargets(null);
    apply.reset();
  };
  const onPreview = (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseTargets(text);
    if (typeof parsed === "string") return setFormError(parsed);
    setFormError(null);
    apply.reset();
    setTargets(parsed);
  };
  const p = preview.data;
  return (
    <Card title="Reassign partitions">
      <form className="reassign-form" onSubmit={onPreview}>
        <label>
          Start from a topic&apos;s current replicas{" "}
          <select aria-label="Topic" value={topic} onChange={(e) => setTopic(e.target.value)}>
            <option value="">choose a topic…</option>
            <Options values={topics.data?.map((t) => t.name) ?? []} />
          </select>
          <button type="button" disabled={!current.data} onClick={() => current.data && edit(formatTargets(topic, current.data.partitions))}>
            Fill in
          </button>
        </label>
        <label>
          Target replicas, one partition a line: topic, partition, brokers (the preferred leader first)
          <textarea aria-label="Target replicas" rows={4} value={text} placeholder="orders 0 3,2" onChange={(e) => edit(e.target.value)} spellCheck={false} />
        </label>
        {formError && <p className="error-text">{formError}</p>}
        <div className="reset-actions">
          <button type="submit">Preview</button>
        </div>
      </form>
      {targets && preview.isFetching && <Loading label="Planning the moves…" />}
      <ErrorNote error={preview.isFetching ? null : preview.error} retry={() => void preview.refetch()} />
      {p && targets && !preview.isFetching && (
        <>
          {p.moves.length ? <MovesTable plan={p} label="Reassignment preview" /> : <p className="muted">These partitions already have those replicas: nothing to move.</p>}
          <Apply
            allowed={admin}
            role="admin"
            what="Reassigning partitions"
            question={`Move ${formatCount(p.totals.partitions)} partitions, copying ${p.totals.bytesToCopy === null ? "an unknown amount" : formatBytes(p.totals.bytesToCopy)}?`}
            confirmLabel="Yes, reassign"
            pending={apply.isPending}
            disabled={!p.moves.length}
            onApply={() => apply.mutate({ cluster, moves: asMoves(p) })}
            done={apply.isSuccess && <p className="success" role="status">Started {formatCount(apply.data.started)} reassignments; follow them under Reassignments in progress.{audited("brokers.reassign")}</p>}
            error={apply.error}
          />
        </>
      )}
    </Card>
  );
}

/** Move every replica off one broker, keeping each partition's replication factor. */
export function DrainCard({ cluster, admin, brokers }: { cluster: string; admin: boolean; brokers: { nodeId: number }[] }) {
  const [nodeId, setNodeId] = useState<number | null>(null);
  const [asked, setAsked] = useState<number | null>(null);
  const preview = trpc.brokers.previewDrain.useQuery({ cluster, nodeId: asked ?? 0 }, { enabled: asked !== null, refetchOnWindowFocus: false, retry: false });
  const utils = trpc.useUtils();
  const apply = trpc.brokers.drain.useMutation({ onSuccess: () => void utils.brokers.invalidate() });
  const p = preview.data;
  return (
    <Card title="Drain a broker">
      <form
        className="reset-actions"
        onSubmit={(e) => {
          e.preventDefault();
          apply.reset();
          setAsked(nodeId);
          if (asked === nodeId) void preview.refetch();
        }}
      >
        <label>
          Broker{" "}
          <select aria-label="Broker to drain" value={nodeId ?? ""} onChange={(e) => setNodeId(e.target.value === "" ? null : Number(e.target.value))}>
            <option value="">choose…</option>
            <Options values={brokers.map((b) => String(b.nodeId))} />
          </select>
        </label>
        <button type="submit" disabled={nodeId === null}>
          Preview drain
        </button>
      </form>
      <p className="hint muted">Its replicas move to the other live brokers, a rack it lacks first, the least loaded broker next; stop the broker once the moves complete.</p>
      {asked !== null && preview.isFetching && <Loading label={`Planning where broker ${asked}'s replicas go…`} />}
      <ErrorNote error={preview.isFetching ? null : preview.error} retry={() => void preview.refetch()} />
      {p && asked !== null && !preview.isFetching && (
        <>
          {p.moves.length ? <MovesTable plan={p} label="Drain preview" /> : <p className="muted">Broker {asked} holds no replicas: it can be stopped without moving anything.</p>}
          <Apply
            allowed={admin}
            role="admin"
            what="Draining a broker"
            question={`Move ${formatCount(p.totals.partitions)} partitions off broker ${asked}?`}
            confirmLabel="Yes, drain"
            pending={apply.isPending}
            disabled={!p.moves.length}
            onApply={() => apply.mutate({ cluster, nodeId: asked, moves: asMoves(p) })}
            done={apply.isSuccess && <p className="success" role="status">Started {formatCount(apply.data.started)} reassignments off broker {asked}.{audited("brokers.drain")}</p>}
            error={apply.error}
          />
        </>
      )}
    </Card>
  );
}

/** Partitions not led by their preferred replica, and ElectLeaders(preferred) on them. */
export function ElectionCard({ cluster, admin }: { cluster: string; admin: boolean }) {
  const [asked, setAsked] = useState(false);
  const preview = trpc.brokers.previewElection.useQuery({ cluster }, { enabled: asked, refetchOnWindowFocus: false, retry: false });
  const utils = trpc.useUtils();
  const apply = trpc.brokers.electPreferred.useMutation({ onSuccess: () => void utils.brokers.list.invalidate() });
  const p = preview.data;
  return (
    <Card title="Preferred leader election">
      <div className="reset-actions">
        <button
          type="button"
          onClick={() => {
            apply.reset();
            if (asked) void preview.refetch();
            setAsked(true);
          }}
        >
          Preview election
        </button>
        <span className="hint muted">Leadership goes back to each partition&apos;s first replica, spreading leaders as the topics were laid out.</span>
      </div>
      {asked && preview.isFetching && <Loading label="Finding partitions led by another replica…" />}
      <ErrorNote error={preview.isFetching ? null : preview.error} retry={() => void preview.refetch()} />
      {p && !preview.isFetching && !apply.isSuccess && (
        <>
          {p.length ? (
            <DataTable label="Election preview" variant="compact" rows={p} rowKey={partitionKey} columns={electionColumns} />
          ) : (
            <p className="muted" role="status">
              Every partition is led by its preferred replica: there is nothing to elect.
            </p>
          )}
          <Apply
            allowed={admin}
            role="admin"
            what="Running a leader election"
            question={`Elect the preferred leader of ${formatCount(p.length)} partitions?`}
            confirmLabel="Yes, elect"
            pending={apply.isPending}
            disabled={!p.length}
            onApply={() => apply.mutate({ cluster, partitions: p.map(({ topic, partition }) => ({ topic, partition })) })}
            done={null}
            error={apply.error}
          />
        </>
      )}
      {apply.data && (
        <>
          <DataTable label="Election results" variant="compact" rows={apply.data} rowKey={partitionKey} columns={electedColumns} />
          <p className="hint">{audited("brokers.electPreferred")}</p>
        </>
      )}
    </Card>
  );
}

/** The reassignments in progress (ListPartitionReassignments), how far their copies are, and cancelling one. */
export function OngoingCard({ cluster, admin }: { cluster: string; admin: boolean }) {
  const q = trpc.brokers.reassignments.useQuery({ cluster }, { refetchInterval: 3000, placeholderData: (prev) => prev });
  const utils = trpc.useUtils();
  const cancel = trpc.brokers.cancelReassignments.useMutation({ onSuccess: () => void utils.brokers.invalidate() });
  const rows = q.data ?? [];
  return (
    <Card title="Reassignments in progress">
      <ErrorNote error={q.error} retry={() => void q.refetch()} />
      {q.isPending ? (
        <Loading label="Asking the controller for reassignments…" />
      ) : rows.length === 0 ? (
        <p className="muted" data-testid="no-reassignments">
          None: every partition has the replicas it should.
        </p>
      ) : (
        <DataTable
          label="Reassignments in progress"
          variant="compact"
          rows={rows}
          rowKey={partitionKey}
          columns={
            admin
              ? [
                  ...ongoingColumns,
                  {
                    key: "cancel",
                    header: "",
                    render: (r) => (
                      <button type="button" disabled={cancel.isPending} onClick={() => cancel.mutate({ cluster, partitions: [{ topic: r.topic, partition: r.partition }] })}>
                        Cancel
                      </button>
                    ),
                  },
                ]
              : ongoingColumns
          }
        />
      )}
      <ErrorNote error={cancel.error} />
    </Card>
  );
}
