"use client";
import { useMemo, useState, type FormEvent } from "react";
import { AclOperation, AclPermissionType, AclResourceType, PatternType } from "@/server/kafka/constants";
import { trpc } from "@/components/trpc";
import { Card, DataTable, ErrorNote } from "@/components/ui";
import { Confirm } from "./confirm";
import { bindingText, OPERATIONS, operationName, PATTERN_TYPES, patternTypeName, PERMISSIONS, permissionName, RESOURCE_TYPES, resourceTypeName, type Binding } from "./names";

const NEW: Binding = { resourceType: AclResourceType.TOPIC, resourceName: "", patternType: PatternType.LITERAL, principal: "User:", host: "*", operation: AclOperation.READ, permission: AclPermissionType.ALLOW };

function CodeSelect({ label, value, options, onChange }: { label: string; value: number; options: { code: number; name: string }[]; onChange: (v: number) => void }) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(Number(e.target.value))}>
        {options.map((o) => (
          <option key={o.code} value={o.code}>
            {o.name}
          </option>
        ))}
      </select>
    </label>
  );
}

/** ACLs filtered by principal and resource, with add and delete, each previewed first. */
export function AclsCard({ cluster, acls, admin }: { cluster: string; acls: Binding[]; admin: boolean }) {
  const utils = trpc.useUtils();
  const [principal, setPrincipal] = useState("");
  const [resource, setResource] = useState("");
  const [draft, setDraft] = useState<Binding>(NEW);
  const [pending, setPending] = useState<{ kind: "add" | "delete"; binding: Binding } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const done = (text: string) => {
    setNotice(text);
    setPending(null);
    void utils.security.invalidate();
  };
  const create = trpc.security.createAcl.useMutation({ onSuccess: (_r, v) => done(`Added: ${bindingText(v.binding)}`) });
  const remove = trpc.security.deleteAcl.useMutation({ onSuccess: (r, v) => done(`Deleted ${r.deleted} ACL: ${bindingText(v.binding)}`) });
  const shown = useMemo(
    () => acls.filter((a) => a.principal.toLowerCase().includes(principal.trim().toLowerCase()) && a.resourceName.toLowerCase().includes(resource.trim().toLowerCase())),
    [acls, principal, resource],
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setNotice(null);
    setPending({ kind: "add", binding: { ...draft, principal: draft.principal.trim(), resourceName: draft.resourceName.trim(), host: draft.host.trim() || "*" } });
  };
  const set = (patch: Partial<Binding>) => setDraft((d) => ({ ...d, ...patch }));
  const mutation = pending?.kind === "delete" ? remove : create;

  return (
    <Card title={`ACLs (${shown.length.toLocaleString()} of ${acls.length.toLocaleString()})`}>
      <div className="filters">
        <input aria-label="Filter by principal" placeholder="principal, e.g. User:bob" value={principal} onChange={(e) => setPrincipal(e.target.value)} />
        <input aria-label="Filter by resource" placeholder="resource name" value={resource} onChange={(e) => setResource(e.target.value)} />
      </div>
      <DataTable
        rows={shown}
        rowKey={bindingText}
        empty={acls.length ? "No ACL matches the filter." : "No ACLs: only super users may do anything (unless allow.everyone.if.no.acl.found is on)."}
        columns={[
          { key: "principal", header: "Principal", sort: (a) => a.principal, render: (a) => a.principal },
          { key: "permission", header: "Permission", sort: (a) => a.permission, render: (a) => <span className={`badge ${a.permission === AclPermissionType.DENY ? "deny" : "allow"}`}>{permissionName(a.permission)}</span> },
          { key: "operation", header: "Operation", sort: (a) => operationName(a.operation), render: (a) => operationName(a.operation) },
          { key: "resource", header: "Resource", sort: (a) => `${a.resourceType} ${a.resourceName}`, render: (a) => `${resourceTypeName(a.resourceType)} ${a.resourceName}` },
          { key: "pattern", header: "Pattern", sort: (a) => patternTypeName(a.patternType), render: (a) => patternTypeName(a.patternType) },
          { key: "host", header: "Host", sort: (a) => a.host, render: (a) => a.host },
          ...(admin
            ? [{ key: "actions", header: "", render: (a: Binding) => (
                <div className="row-actions">
                  <button type="button" className="danger" onClick={() => { setNotice(null); setPending({ kind: "delete", binding: a }); }}>
                    Delete
                  </button>
                </div>
              ) }]
            : []),
        ]}
      />
      {admin ? (
        <form className="form-grid acl-form" onSubmit={submit} aria-label="Add an ACL">
          <label>
            Principal
            <input value={draft.principal} onChange={(e) => set({ principal: e.target.value })} required />
          </label>
          <CodeSelect label="Permission" value={draft.permission} options={PERMISSIONS} onChange={(permission) => set({ permission })} />
          <CodeSelect label="Operation" value={draft.operation} options={OPERATIONS} onChange={(operation) => set({ operation })} />
          <CodeSelect label="Resource type" value={draft.resourceType} options={RESOURCE_TYPES} onChange={(resourceType) => set({ resourceType, resourceName: resourceType === AclResourceType.CLUSTER ? "kafka-cluster" : draft.resourceName })} />
          <label>
            Resource name
            <input value={draft.resourceName} onChange={(e) => set({ resourceName: e.target.value })} required placeholder="orders, or * for all" />
          </label>
          <CodeSelect label="Pattern" value={draft.patternType} options={PATTERN_TYPES} onChange={(patternType) => set({ patternType })} />
          <label>
            Host
            <input value={draft.host} onChange={(e) => set({ host: e.target.value })} />
          </label>
          <div className="actions acl-submit">
            <button type="submit">Preview ACL</button>
          </div>
        </form>
      ) : (
        <p className="hint muted">Only admins may add or delete ACLs.</p>
      )}
      {pending && (
        <Confirm
          title={pending.kind === "add" ? "Add this ACL?" : "Delete this ACL?"}
          lines={[bindingText(pending.binding), pending.kind === "add" ? "It applies to the principal's next request." : "The principal loses this right with its next request."]}
          danger={pending.kind === "delete"}
          pending={mutation.isPending}
          onCancel={() => setPending(null)}
          onApply={() => mutation.mutate({ cluster, binding: pending.binding })}
        />
      )}
      <ErrorNote error={create.error ?? remove.error} />
      {notice && <p className="success" role="status">{notice}</p>}
    </Card>
  );
}

/** "What can this principal do on this topic": every topic operation, allowed or not, by the cluster's ACLs. */
export function AccessCheck({ cluster }: { cluster: string }) {
  const [principal, setPrincipal] = useState("User:");
  const [topic, setTopic] = useState("");
  const [asked, setAsked] = useState<{ principal: string; topic: string } | null>(null);
  const check = trpc.security.check.useQuery({ cluster, principal: asked?.principal ?? "User:x", topic: asked?.topic ?? "x" }, { enabled: asked !== null });
  return (
    <Card title="What can this principal do on this topic?">
      <form
        className="inline-form"
        aria-label="Check access"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked({ principal: principal.trim(), topic: topic.trim() });
        }}
      >
        <input aria-label="Principal to check" value={principal} onChange={(e) => setPrincipal(e.target.value)} required />
        <input aria-label="Topic to check" placeholder="topic" value={topic} onChange={(e) => setTopic(e.target.value)} required />
        <button type="submit">Check</button>
      </form>
      <ErrorNote error={check.error} retry={() => void check.refetch()} />
      {asked && check.data && (
        <div className="access-result" data-testid="access-result">
          <ul className="access-list">
            {check.data.operations.map((o) => (
              <li key={o.operation} className={o.allowed ? "allowed" : "refused"}>
                {o.allowed ? "✓" : "✗"} {operationName(o.operation)}
              </li>
            ))}
          </ul>
          <p className="hint muted">
            {check.data.acls.length ? `Decided by ${check.data.acls.length.toLocaleString()} ACL${check.data.acls.length === 1 ? "" : "s"}: ${check.data.acls.map(bindingText).join("; ")}.` : "No ACL names this principal on this topic."} Super users and allow.everyone.if.no.acl.found are broker settings the console cannot see.
          </p>
        </div>
      )}
    </Card>
  );
}
