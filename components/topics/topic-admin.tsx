"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { clusterHref } from "@/components/clusters/cluster-picker";
import { formatCount } from "@/components/format";
import { trpc } from "@/components/trpc";
import { Card, ErrorNote } from "@/components/ui";

/** What only admins may do to a topic: add partitions, purge records, delete it. */
export function AdminActions({ cluster, topic, partitions }: { cluster: string; topic: string; partitions: number }) {
  const utils = trpc.useUtils();
  const router = useRouter();
  const [count, setCount] = useState(partitions + 1);
  const [purgeKind, setPurgeKind] = useState<"offset" | "timestamp" | "end">("offset");
  const [purgeValue, setPurgeValue] = useState("");
  const [purgePartition, setPurgePartition] = useState("");
  const [confirm, setConfirm] = useState("");
  const [done, setDone] = useState("");
  const add = trpc.topics.addPartitions.useMutation({ onSuccess: (r) => (setDone(`${topic} now has ${r.partitions} partitions.`), utils.topics.invalidate()) });
  const purge = trpc.topics.purge.useMutation({ onSuccess: (r) => (setDone(`Purged ${formatCount(r.removed)} records.`), utils.topics.invalidate()) });
  const del = trpc.topics.delete.useMutation({
    onSuccess: async () => {
      await utils.topics.list.invalidate();
      router.push(clusterHref("/topics", cluster));
    },
  });

  const runPurge = () => {
    const parts = purgePartition === "" ? undefined : [Number(purgePartition)];
    if (purgeKind === "end") return purge.mutate({ cluster, topic, partitions: parts, upTo: { kind: "end" } });
    if (purgeKind === "offset") return purge.mutate({ cluster, topic, partitions: parts, upTo: { kind: "offset", offset: Number(purgeValue) } });
    const ts = new Date(purgeValue).getTime();
    purge.mutate({ cluster, topic, partitions: parts, upTo: { kind: "timestamp", timestamp: ts } });
  };
  const purgeReady = purgeKind === "end" || (purgeKind === "offset" ? /^\d+$/.test(purgeValue) : !Number.isNaN(new Date(purgeValue).getTime()));

  return (
    <Card title="Change the topic">
      {done && <p className="success">{done}</p>}
      <div className="stack">
        <div className="inline-form">
          <h3>Add partitions</h3>
          <input type="number" aria-label="New partition count" min={partitions + 1} value={count} onChange={(e) => setCount(Number(e.target.value))} />
          <button type="button" disabled={add.isPending || count <= partitions} onClick={() => add.mutate({ cluster, topic, count })}>
            Set to {count} partitions
          </button>
          <span className="hint muted">Keys map to partitions by hash, so adding partitions moves where new records of a key go.</span>
          <ErrorNote error={add.error} />
        </div>
        <div className="inline-form">
          <h3>Purge records</h3>
          <select aria-label="Purge partition" value={purgePartition} onChange={(e) => setPurgePartition(e.target.value)}>
            <option value="">all partitions</option>
            {Array.from({ length: partitions }, (_, i) => (
              <option key={i} value={i}>
                partition {i}
              </option>
            ))}
          </select>
          <select aria-label="Purge up to" value={purgeKind} onChange={(e) => (setPurgeKind(e.target.value as typeof purgeKind), setPurgeValue(""))}>
            <option value="offset">before offset</option>
            <option value="timestamp">older than</option>
            <option value="end">everything</option>
          </select>
          {purgeKind === "offset" && <input aria-label="Purge before offset" inputMode="numeric" placeholder="offset" value={purgeValue} onChange={(e) => setPurgeValue(e.target.value)} />}
          {purgeKind === "timestamp" && <input aria-label="Purge older than" type="datetime-local" step={1} value={purgeValue} onChange={(e) => setPurgeValue(e.target.value)} />}
          <button
            type="button"
            className="danger"
            disabled={purge.isPending || !purgeReady}
            onClick={() => window.confirm(`Delete these records of ${topic} for good?`) && runPurge()}
          >
            Purge
          </button>
          <span className="hint muted">Moves the log start forward (DeleteRecords); consumers behind it restart from the new start.</span>
          <ErrorNote error={purge.error} />
        </div>
        <div className="inline-form">
          <h3>Delete topic</h3>
          <input aria-label="Type the topic name to confirm" placeholder={`type ${topic} to confirm`} value={confirm} onChange={(e) => setConfirm(e.target.value)} />
          <button type="button" className="danger" disabled={del.isPending || confirm !== topic} onClick={() => del.mutate({ cluster, topic, confirm })}>
            Delete {topic}
          </button>
          <ErrorNote error={del.error} />
        </div>
      </div>
    </Card>
  );
}
