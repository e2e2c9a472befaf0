"use client";
import { useSearchParams } from "next/navigation";
import { useState, type FormEvent } from "react";
import { trpc } from "./trpc";
import { ErrorNote } from "./ui";

/** Only same-site paths: a crafted ?next= must not send a user elsewhere after login. */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function LoginForm() {
  const params = useSearchParams();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const login = trpc.auth.login.useMutation({ onSuccess: () => window.location.assign(safeNext(params.get("next"))) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate({ username, password });
  };
  return (
    <form className="card login" onSubmit={submit}>
      <h1>Tributary</h1>
      <p className="muted">Sign in to the console.</p>
      <label>
        Username
        <input name="username" autoComplete="username" autoFocus required value={username} onChange={(e) => setUsername(e.target.value)} />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      <ErrorNote error={login.error} />
      <button type="submit" className="primary" disabled={login.isPending}>
        {login.isPending ? "Signing in…" : "Sign in"}
      </button>
      <p className="hint muted">First start? The admin password was printed once in the server&apos;s output.</p>
    </form>
  );
}
