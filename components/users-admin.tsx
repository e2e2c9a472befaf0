"use client";
import { useState, type FormEvent } from "react";
import { formText } from "./form-text";
import { useIsAdmin } from "./roles";
import { trpc } from "./trpc";
import { DataTable, Empty, ErrorNote, Loading, Options, PageHeader, Time } from "./ui";

const ROLES = ["viewer", "operator", "admin"] as const;
type Role = (typeof ROLES)[number];
const ROLE_HELP: Record<Role, string> = {
  viewer: "reads everything, changes nothing",
  operator: "also manages topics, groups, flows and agents",
  admin: "also manages users and clusters",
};

export function UsersAdmin() {
  const utils = trpc.useUtils();
  const me = trpc.auth.me.useQuery();
  const isAdmin = useIsAdmin();
  const list = trpc.users.list.useQuery(undefined, { enabled: isAdmin });
  const refresh = () => utils.users.list.invalidate();
  const update = trpc.users.update.useMutation({ onSuccess: refresh });
  const [resetFor, setResetFor] = useState<{ id: number; username: string } | null>(null);
  if (me.data && !isAdmin) {
    return (
      <>
        <PageHeader title="Users" subtitle="Who may sign in, and what each role may do." />
        <Empty>Only admins manage users; you are signed in as {me.data.role}. Ask an admin to change a role or reset a password.</Empty>
      </>
    );
  }
  return (
    <>
      <PageHeader title="Users" subtitle="Who may sign in, and what each role may do." />
      <CreateUser onCreated={() => void refresh()} />
      <ErrorNote error={list.error ?? update.error} retry={list.error ? () => void list.refetch() : undefined} />
      {list.isPending ? (
        <Loading label="Loading users…" />
      ) : (
        <DataTable
          rows={list.data ?? []}
          rowKey={(u) => u.id}
          columns={[
            { key: "username", header: "User", sort: (u) => u.username, render: (u) => u.username },
            {
              key: "role",
              header: "Role",
              sort: (u) => u.role,
              render: (u) => (
                <select aria-label={`Role of ${u.username}`} value={u.role} disabled={update.isPending || u.id === me.data?.id} title={u.id === me.data?.id ? "Another admin must change your role" : undefined} onChange={(e) => update.mutate({ id: u.id, role: e.target.value as Role })}>
                  <Options values={ROLES} />
                </select>
              ),
            },
            { key: "status", header: "Status", sort: (u) => Number(u.disabled), render: (u) => (u.disabled ? <span className="badge denied">disabled</span> : <span className="badge ok">active</span>) },
            { key: "created", header: "Created", sort: (u) => u.createdAt, render: (u) => <Time at={u.createdAt} /> },
            {
              key: "actions",
              header: "",
              render: (u) => (
                <span className="row-actions">
                  <button type="button" onClick={() => update.mutate({ id: u.id, disabled: !u.disabled })} disabled={update.isPending || u.id === me.data?.id}>
                    {u.disabled ? "Enable" : "Disable"}
                  </button>
                  <button type="button" onClick={() => setResetFor({ id: u.id, username: u.username })}>
                    Reset password
                  </button>
                </span>
              ),
            },
          ]}
        />
      )}
      {resetFor && <ResetPassword user={resetFor} onDone={() => setResetFor(null)} />}
    </>
  );
}

function CreateUser({ onCreated }: { onCreated: () => void }) {
  const [role, setRole] = useState<Role>("viewer");
  const create = trpc.users.create.useMutation({ onSuccess: onCreated });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    create.mutate(
      { username: formText(data, "username"), password: formText(data, "password"), role },
      { onSuccess: () => form.reset() },
    );
  };
  return (
    <form className="card inline-form" onSubmit={submit} aria-label="Add a user">
      <h2>Add a user</h2>
      <input name="username" placeholder="username" required minLength={2} aria-label="New username" />
      <input name="password" type="password" placeholder="password (8+ characters)" required minLength={8} aria-label="New password" autoComplete="new-password" />
      <select value={role} onChange={(e) => setRole(e.target.value as Role)} aria-label="New user's role">
        <Options values={ROLES} />
      </select>
      <button type="submit" className="primary" disabled={create.isPending}>
        {create.isPending ? "Adding…" : "Add user"}
      </button>
      <p className="muted hint">{`${role}: ${ROLE_HELP[role]}`}</p>
      <ErrorNote error={create.error} />
      {create.isSuccess && <p className="success">Added {create.data.username}.</p>}
    </form>
  );
}

function ResetPassword({ user, onDone }: { user: { id: number; username: string }; onDone: () => void }) {
  const reset = trpc.users.resetPassword.useMutation({ onSuccess: onDone });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    reset.mutate({ id: user.id, password: formText(new FormData(e.currentTarget), "password") });
  };
  return (
    <form className="card inline-form" onSubmit={submit} aria-label={`Reset password of ${user.username}`}>
      <h2>New password for {user.username}</h2>
      <input name="password" type="password" required minLength={8} autoFocus autoComplete="new-password" aria-label="New password" />
      <button type="submit" className="primary" disabled={reset.isPending}>
        Set password
      </button>
      <button type="button" onClick={onDone}>
        Cancel
      </button>
      <p className="muted hint">Their open sessions end, so they sign in again with the new password.</p>
      <ErrorNote error={reset.error} />
    </form>
  );
}
