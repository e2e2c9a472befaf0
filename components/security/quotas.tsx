"use client";
import { useState, type FormEvent } from "react";
import { trpc } from "@/components/trpc";
import { Card, DataTable, ErrorNote } from "@/components/ui";
import { Confirm } from "./confirm";
import { entityText, QUOTA_KEYS, quotaText, type QuotaKey } from "./names";

type EntityPart = { entityType: "user" | "client-id"; entityName: string | null };
interface Quota {
  entity: EntityPart[];
  values: Record<string, number>;
}

/** The form's text for one part of an entity: its name, <default>, or empty when the entity has no such part. */
function partText(entity: EntityPart[], type: EntityPart["entityType"]): string {
  const p = entity.find((e) => e.entityType === type);
  return p ? (p.entityName ?? "<default>") : "";
}

const LABELS: Record<QuotaKey, string> = { producer_byte_rate: "Produce bytes/s", consumer_byte_rate: "Fetch bytes/s", request_percentage: "Request time %" };

/** Client quotas per user, client id or both (defaults included); set or cleared after a preview. */
export function QuotasCard({ cluster, quotas, admin }: { cluster: string; quotas: Quota[]; admin: boolean }) {
  const utils = trpc.useUtils();
  const [user, setUser] = useState("");
  const [clientId, setClientId] = useState("");
  const [values, setValues] = useState<Record<QuotaKey, string>>({ producer_byte_rate: "", consumer_byte_rate: "", request_percentage: "" });
  const [pending, setPending] = useState<{ entity: EntityPart[]; values: Partial<Record<QuotaKey, number | null>> } | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const save = trpc.security.setQuota.useMutation({
    onSuccess: (_r, v) => {
      setNotice(`Quotas of ${entityText(v.entity)} saved; they apply from the next second.`);
      setPending(null);
      void utils.security.invalidate();
    },
  });
  const part = (entityType: EntityPart["entityType"], text: string): EntityPart[] => (text.trim() === "" ? [] : [{ entityType, entityName: text.trim() === "<default>" ? null : text.trim() }]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setNotice(null);
    setFormError(null);
    const entity = [...part("user", user), ...part("client-id", clientId)];
    if (!entity.length) return setFormError("Name a user, a client id or both (<default> for the default entity).");
    const parsed: Partial<Record<QuotaKey, number | null>> = {};
    for (const k of QUOTA_KEYS) {
      const t = values[k].trim();
      if (t === "") continue;
      const n = t === "-" ? null : Number(t);
      if (n !== null && !(n > 0)) return setFormError(`${LABELS[k]} must be a positive number, or - to remove it.`);
      parsed[k] = n;
    }
    if (!Object.keys(parsed).length) return setFormError("Set at least one quota (- removes one).");
    setPending({ entity, values: parsed });
  };
  return (
    <Card title={`Client quotas (${quotas.length.toLocaleString()})`}>
      <DataTable
        rows={quotas}
        rowKey={(q) => entityText(q.entity)}
        empty="No client quotas: every client may use the broker at full speed."
        columns={[
          { key: "entity", header: "Entity", sort: (q) => entityText(q.entity), render: (q) => entityText(q.entity) },
          ...QUOTA_KEYS.map((k) => ({ key: k, header: LABELS[k], align: "right" as const, sort: (q: Quota) => q.values[k] ?? -1, render: (q: Quota) => (q.values[k] === undefined ? <span className="muted">–</span> : quotaText(k, q.values[k])) })),
          ...(admin
            ? [{ key: "actions", header: "", render: (q: Quota) => (
                <div className="row-actions">
                  <button type="button" onClick={() => {
                    setUser(partText(q.entity, "user"));
                    setClientId(partText(q.entity, "client-id"));
                    setValues({ producer_byte_rate: String(q.values.producer_byte_rate ?? ""), consumer_byte_rate: String(q.values.consumer_byte_rate ?? ""), request_percentage: String(q.values.request_percentage ?? "") });
                  }}>
                    Edit
                  </button>
                </div>
              ) }]
            : []),
        ]}
      />
      {admin ? (
        <form className="form-grid" onSubmit={submit} aria-label="Set quotas">
          <label>
            User
            <input value={user} onChange={(e) => setUser(e.target.value)} placeholder="name, or <default>" />
          </label>
          <label>
            Client id
            <input value={clientId} onChange={(e) => setClientId(e.target.value)} placeholder="name, or <default>" />
          </label>
          {QUOTA_KEYS.map((k) => (
            <label key={k}>
              {LABELS[k]}
              <input value={values[k]} inputMode="decimal" onChange={(e) => setValues((v) => ({ ...v, [k]: e.target.value }))} placeholder="unchanged; - removes" />
            </label>
          ))}
          <div className="actions acl-submit">
            <button type="submit">Preview quotas</button>
          </div>
        </form>
      ) : (
        <p className="hint muted">Only admins may set quotas.</p>
      )}
      {formError && <p className="error-text" role="alert">{formError}</p>}
      {pending && (
        <Confirm
          title={`Set the quotas of ${entityText(pending.entity)}?`}
          lines={Object.entries(pending.values).map(([k, v]) => (v === null ? `${LABELS[k as QuotaKey]}: removed` : `${LABELS[k as QuotaKey]}: ${quotaText(k, v)}`))}
          pending={save.isPending}
          onCancel={() => setPending(null)}
          onApply={() => save.mutate({ cluster, entity: pending.entity, values: pending.values })}
        />
      )}
      <ErrorNote error={save.error} />
      {notice && <p className="success" role="status">{notice}</p>}
    </Card>
  );
}
