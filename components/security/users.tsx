"use client";
import { useState, type FormEvent } from "react";
import { trpc } from "@/components/trpc";
import { Card, DataTable, ErrorNote } from "@/components/ui";
import { Confirm } from "./confirm";

type Mechanism = "SCRAM-SHA-256" | "SCRAM-SHA-512";
interface ScramUser {
  user: string;
  mechanisms: { mechanism: Mechanism; iterations: number }[];
}

type Pending = { kind: "set"; user: string; mechanism: Mechanism; password: string; exists: boolean } | { kind: "delete"; user: string; mechanisms: Mechanism[] };

/** SASL/SCRAM users of the cluster: add, change a password, delete; each previewed first. */
export function UsersCard({ cluster, users, admin }: { cluster: string; users: ScramUser[]; admin: boolean }) {
  const utils = trpc.useUtils();
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [mechanism, setMechanism] = useState<Mechanism>("SCRAM-SHA-512");
  const [pending, setPending] = useState<Pending | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const done = (text: string) => {
    setNotice(text);
    setPending(null);
    setPassword("");
    void utils.security.invalidate();
  };
  const setPw = trpc.security.setPassword.useMutation({ onSuccess: (_r, v) => done(`Saved the ${v.mechanism} password of ${v.user}; it logs in with it now.`) });
  const del = trpc.security.deleteUser.useMutation({ onSuccess: (r) => done(`Deleted ${r.deleted}; its connections are refused from the next login.`) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setNotice(null);
    const user = name.trim();
    setPending({ kind: "set", user, mechanism, password, exists: users.some((u) => u.user === user && u.mechanisms.some((m) => m.mechanism === mechanism)) });
  };
  return (
    <Card title={`SASL/SCRAM users (${users.length.toLocaleString()})`}>
      <DataTable
        rows={users}
        rowKey={(u) => u.user}
        empty="No SCRAM users."
        columns={[
          { key: "user", header: "User", sort: (u) => u.user, render: (u) => u.user },
          { key: "mechanisms", header: "Mechanisms", sort: (u) => u.mechanisms.map((m) => m.mechanism).join(","), render: (u) => u.mechanisms.map((m) => `${m.mechanism} (${m.iterations.toLocaleString()} iterations)`).join(", ") },
          ...(admin
            ? [{ key: "actions", header: "", render: (u: ScramUser) => (
                <div className="row-actions">
                  <button type="button" onClick={() => { setName(u.user); setMechanism(u.mechanisms[0]?.mechanism ?? "SCRAM-SHA-512"); }}>
                    Change password
                  </button>
                  <button type="button" className="danger" onClick={() => { setNotice(null); setPending({ kind: "delete", user: u.user, mechanisms: u.mechanisms.map((m) => m.mechanism) }); }}>
                    Delete
                  </button>
                </div>
              ) }]
            : []),
        ]}
      />
      {admin ? (
        <form className="inline-form" onSubmit={submit} aria-label="Add a user or change a password">
          <input aria-label="User name" placeholder="user" value={name} onChange={(e) => setName(e.target.value)} required />
          <select aria-label="Mechanism" value={mechanism} onChange={(e) => setMechanism(e.target.value as Mechanism)}>
            <option>SCRAM-SHA-512</option>
            <option>SCRAM-SHA-256</option>
          </select>
          <input aria-label="Password" type="password" placeholder="password (8+ characters)" minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="new-password" />
          <button type="submit">Preview</button>
        </form>
      ) : (
        <p className="hint muted">Only admins may add users or change passwords.</p>
      )}
      {pending?.kind === "set" && (
        <Confirm
          title={pending.exists ? `Change the password of ${pending.user}?` : `Add the user ${pending.user}?`}
          lines={[`${pending.mechanism} credential, salted here (8,192 iterations); the password itself is not sent or stored.`, pending.exists ? "Connections already logged in stay; new logins need the new password." : "The user can log in at once; grant it ACLs for what it should do."]}
          pending={setPw.isPending}
          onCancel={() => setPending(null)}
          onApply={() => setPw.mutate({ cluster, user: pending.user, mechanism: pending.mechanism, password: pending.password })}
        />
      )}
      {pending?.kind === "delete" && (
        <Confirm
          title={`Delete the user ${pending.user}?`}
          lines={[`Removes its ${pending.mechanisms.join(" and ")} credentials; its ACLs stay until you delete them.`]}
          danger
          pending={del.isPending}
          onCancel={() => setPending(null)}
          onApply={() => del.mutate({ cluster, user: pending.user, mechanisms: pending.mechanisms })}
        />
      )}
      <ErrorNote error={setPw.error ?? del.error} />
      {notice && <p className="success" role="status">{notice}</p>}
    </Card>
  );
}
