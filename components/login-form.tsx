/**
 * A plain HTML form posted to /login, so signing in works before (or without) the console's
 * JavaScript; the server answers with a redirect either to the page asked for or back here with
 * the reason it refused.
 */
export function LoginForm({ next, error, username }: { next: string; error?: string; username?: string }) {
  return (
    <form className="card login" method="post" action="/login">
      <h1>Tributary</h1>
      <p className="muted">Sign in to the console.</p>
      <input type="hidden" name="next" value={next} />
      <label>
        Username
        <input name="username" autoComplete="username" autoFocus={!username} required maxLength={100} defaultValue={username} />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" autoFocus={Boolean(username)} required maxLength={1000} />
      </label>
      {error && (
        <div className="error-note" role="alert">
          {error}
        </div>
      )}
      <button type="submit" className="primary">
        Sign in
      </button>
      <p className="hint muted">First start? The admin password was printed in the server&apos;s output.</p>
    </form>
  );
}
