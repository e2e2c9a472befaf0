"use client";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { formText } from "@/components/form-text";
import { formatCount } from "@/components/format";
import { trpc } from "@/components/trpc";
import { Card, DataTable, ErrorNote, Loading, PageHeader, StatusDot } from "@/components/ui";
import { useIsAdmin } from "@/components/roles";
import { clusterHref } from "./cluster-picker";
import "./clusters.css";

type Cluster = inferRouterOutputs<AppRouter>["clusters"]["list"][number];
type Mechanism = "plain" | "scram-sha-256" | "scram-sha-512";

type Status = inferRouterOutputs<AppRouter>["clusters"]["status"];

function healthText(s: Status): string {
  if (s.health === "offline partitions") return `${formatCount(s.offlinePartitions)} partition${s.offlinePartitions === 1 ? "" : "s"} without a leader`;
  if (s.health === "under-replicated") return `${formatCount(s.underReplicated)} partition${s.underReplicated === 1 ? "" : "s"} under-replicated`;
  return "healthy";
}

/** The cluster's health as Kafka tells it (partitions without a leader or short of replicas) and its brokers, checked every 15 s. */
function Health({ cluster }: { cluster: string }) {
  const s = trpc.clusters.status.useQuery({ cluster }, { retry: false, refetchInterval: 15_000 });
  if (s.isPending) return <span className="muted">checking…</span>;
  if (s.error) return <span title={s.error.message}><StatusDot ok={false} label="unreachable" /></span>;
  const b = s.data.brokers;
  const title = [
    `${formatCount(s.data.topics)} topics, ${formatCount(s.data.partitions)} partitions; answered in ${Math.round(s.data.latencyMs)} ms`,
    ...b.map((x) => `broker ${x.nodeId}: ${x.host}:${x.port}${x.nodeId === s.data.controller ? " (controller)" : ""}`),
  ].join("\n");
  return (
    <span title={title}>
      <StatusDot ok={s.data.health === "healthy"} label={`${healthText(s.data)} · ${formatCount(b.length)} broker${b.length === 1 ? "" : "s"}`} />
    </span>
  );
}

function ClusterForm({ editing, onDone }: { editing: Cluster | null; onDone: (msg: string) => void }) {
  const utils = trpc.useUtils();
  const [sasl, setSasl] = useState<Mechanism | "">(editing?.saslMechanism ?? "");
  const [tested, setTested] = useState<string | null>(null);
  const test = trpc.clusters.test.useMutation({ onSuccess: (r) => setTested(`Connected: ${r.brokers.length} broker(s), cluster id ${r.clusterId}.`) });
  const save = trpc.clusters.create.useMutation();
  const update = trpc.clusters.update.useMutation();
  const busy = test.isPending || save.isPending || update.isPending;

  const read = (form: HTMLFormElement) => {
    const f = new FormData(form);
    const password = formText(f, "password");
    return {
      name: formText(f, "name").trim(),
      bootstrapServers: formText(f, "bootstrap"),
      tls: f.get("tls") === "on",
      saslMechanism: sasl || null,
      saslUsername: sasl ? formText(f, "username").trim() || null : null,
      // Empty when editing: keep the stored password.
      saslPassword: sasl && password ? password : undefined,
    };
  };

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setTested(null);
    const v = read(e.currentTarget);
    if (editing) await update.mutateAsync({ ...v, id: editing.id });
    else await save.mutateAsync(v);
    await utils.clusters.invalidate();
    onDone(editing ? `Saved ${v.name}.` : `Added ${v.name}; it answered the connection test.`);
  };

  return (
    <Card title={editing ? `Edit ${editing.name}` : "Add a cluster"}>
      {/* A failed save shows through the mutation's error state below; the rejection itself carries nothing more. */}
      <form className="form-grid" onSubmit={(e) => void submit(e).catch(() => undefined)}>
        <fieldset className="cluster-group wide">
          <legend>Connection</legend>
          <label>
            Name
            <input name="name" aria-label="Name" required defaultValue={editing?.name} placeholder="production" />
            <span className="hint muted">links name the cluster by it (Prod East → ?cluster=prod-east)</span>
          </label>
          <label>
            Bootstrap servers
            <input name="bootstrap" aria-label="Bootstrap servers" required defaultValue={editing?.bootstrapServers.join(",")} placeholder="kafka-1:9092,kafka-2:9092" />
            <span className="hint muted">host:port, separated by commas</span>
          </label>
        </fieldset>
        <fieldset className="cluster-group">
          <legend>TLS</legend>
          <label className="check">
            <input type="checkbox" name="tls" defaultChecked={editing?.tls} /> Encrypt with TLS
          </label>
          <span className="hint muted">the brokers&apos; certificates are checked against the system&apos;s trusted authorities</span>
        </fieldset>
        <fieldset className="cluster-group">
          <legend>SASL</legend>
          <label>
            Mechanism
            <select aria-label="SASL mechanism" value={sasl} onChange={(e) => setSasl(e.target.value as Mechanism | "")}>
              <option value="">none</option>
              <option value="plain">PLAIN</option>
              <option value="scram-sha-256">SCRAM-SHA-256</option>
              <option value="scram-sha-512">SCRAM-SHA-512</option>
            </select>
          </label>
          {sasl && (
            <>
              <label>
                SASL username
                <input name="username" required defaultValue={editing?.saslUsername ?? ""} autoComplete="off" />
              </label>
              <label>
                SASL password
                <input name="password" type="password" autoComplete="new-password" placeholder={editing?.hasPassword ? "unchanged" : ""} />
              </label>
            </>
          )}
        </fieldset>
        <div className="actions wide">
          <button
            type="button"
            disabled={busy}
            onClick={(e) => {
              setTested(null);
              const v = read(e.currentTarget.form!);
              test.mutate({ ...v, id: editing ? Number(editing.id) : undefined });
            }}
          >
            {test.isPending ? "Testing…" : "Test connection"}
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {save.isPending || update.isPending ? "Connecting…" : editing ? "Save" : "Add cluster"}
          </button>
          <button type="button" className="link" onClick={() => onDone("")}>
            Cancel
          </button>
        </div>
        {tested && <p className="success wide">{tested}</p>}
        <div className="wide">
          <ErrorNote error={test.error ?? save.error ?? update.error} />
        </div>
      </form>
    </Card>
  );
}

export function ClustersPage() {
  const list = trpc.clusters.list.useQuery();
  const isAdmin = useIsAdmin();
  const utils = trpc.useUtils();
  const [form, setForm] = useState<{ editing: Cluster | null } | null>(null);
  const [note, setNote] = useState("");
  const remove = trpc.clusters.delete.useMutation({ onSuccess: () => utils.clusters.invalidate() });

  return (
    <>
      <PageHeader
        title="Clusters"
        subtitle="The embedded broker and any Kafka-protocol cluster (Apache Kafka, Redpanda, another Tributary) the console manages."
        actions={
          isAdmin && !form ? (
            <button type="button" className="primary" onClick={() => (setNote(""), setForm({ editing: null }))}>
              Add cluster
            </button>
          ) : undefined
        }
      />
      {note && <p className="success">{note}</p>}
      {form && (
        <ClusterForm
          key={form.editing?.id ?? "new"}
          editing={form.editing}
          onDone={(msg) => {
            setForm(null);
            setNote(msg);
          }}
        />
      )}
      <ErrorNote error={list.error ?? remove.error} retry={() => void list.refetch()} />
      {list.isPending ? (
        <Loading />
      ) : (
        <DataTable
          rows={list.data ?? []}
          rowKey={(c) => c.id}
          empty="No clusters yet."
          columns={[
            { key: "name", header: "Name", sort: (c) => c.name, render: (c) => <Link href={clusterHref("/topics", c.slug)}>{c.name}</Link> },
            { key: "slug", header: "In links", sort: (c) => c.slug, render: (c) => <code>?cluster={c.slug}</code> },
            { key: "bootstrap", header: "Bootstrap servers", sort: (c) => c.bootstrapServers.join(","), render: (c) => <code>{c.bootstrapServers.join(", ")}</code> },
            {
              key: "security",
              header: "Security",
              sort: (c) => `${c.tls ? 1 : 0}${c.saslMechanism ?? ""}`,
              render: (c) => (
                <span>
                  {c.tls ? "TLS" : "plaintext"}
                  {c.saslMechanism ? ` · SASL ${c.saslMechanism.toUpperCase()} as ${c.saslUsername}` : ""}
                </span>
              ),
            },
            { key: "health", header: "Health", render: (c) => <Health cluster={c.slug} /> },
            {
              key: "actions",
              header: "",
              render: (c) =>
                isAdmin && !c.embedded ? (
                  <div className="row-actions">
                    <button type="button" onClick={() => (setNote(""), setForm({ editing: c }))} aria-label={`Edit ${c.name}`}>
                      Edit
                    </button>
                    <button
                      type="button"
                      className="danger"
                      aria-label={`Remove ${c.name}`}
                      disabled={remove.isPending}
                      onClick={() => window.confirm(`Remove ${c.name} from the console? The cluster itself is not touched.`) && remove.mutate({ id: c.id })}
                    >
                      Remove
                    </button>
                  </div>
                ) : c.embedded ? (
                  <span className="muted">built in</span>
                ) : null,
            },
          ]}
        />
      )}
    </>
  );
}
