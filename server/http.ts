import { randomUUID } from "node:crypto";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { TRPCError } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { appRouter } from "./api/root";
import { createCallerFactory, type Context, type Services } from "./api/trpc";
import { HEARTBEAT_PATH, heartbeatRequest } from "./agents/control-protocol";
import { AgentAuthError, AgentConflictError, heartbeat } from "./control/agent-registry";
import { parseCookies, resolveSession, SESSION_COOKIE } from "./control/sessions";
import type { WebAccess } from "./control/web-access";
import { logger } from "./log";
import { renderPrometheus } from "./metrics/prometheus";
import { metrics } from "./metrics/registry";

const log = logger("http");

type NextHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** A heartbeat carries an agent's status and counters; this is far above any real one. */
const MAX_HEARTBEAT_BYTES = 4 * 1024 * 1024;

function replyJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/**
 * POST /api/agent/v1/heartbeat: machine-to-machine, authenticated by the registration token (not a
 * session), so it lives beside tRPC rather than in it. Answers the agent's complete desired set.
 */
async function handleHeartbeat(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "POST") return replyJson(res, 405, { error: "POST a heartbeat to this endpoint" });
  const auth = req.headers.authorization ?? "";
  const token = auth.startsWith("Bearer ") ? auth.slice(7).trim() : "";
  if (!token) return replyJson(res, 401, { error: "missing Authorization: Bearer <token>; create a registration token on the Agents page" });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_HEARTBEAT_BYTES) return replyJson(res, 413, { error: `heartbeat over ${MAX_HEARTBEAT_BYTES} bytes` });
    chunks.push(c);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return replyJson(res, 400, { error: "the heartbeat body is not JSON" });
  }
  const parsed = heartbeatRequest.safeParse(body);
  if (!parsed.success) return replyJson(res, 400, { error: parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ") });
  try {
    replyJson(res, 200, await heartbeat(services.database.db, token, parsed.data));
  } catch (err) {
    if (err instanceof AgentAuthError) return replyJson(res, 401, { error: err.message });
    if (err instanceof AgentConflictError) return replyJson(res, 409, { error: err.message });
    throw err;
  }
}

/** A sign-in form carries a name, a password and where to go next; anything longer is not one. */
const MAX_LOGIN_FORM_BYTES = 8 * 1024;

const callerOf = createCallerFactory(appRouter);

/** Only same-site paths: a crafted ?next= must not send a user elsewhere after signing in. */
export function safeNext(next: string | null | undefined): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/";
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location });
  res.end();
}

/**
 * POST /login: the sign-in page's HTML form, which works without JavaScript. It runs the same
 * auth.login procedure as the API (limiter, audit, cookie) and answers with a redirect: to the page
 * asked for, or back to the form with the reason.
 */
async function handleLoginForm(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_LOGIN_FORM_BYTES) {
      res.writeHead(413, { "content-type": "text/plain" });
      res.end(`A sign-in form is under ${MAX_LOGIN_FORM_BYTES} bytes.`);
      return;
    }
    chunks.push(c);
  }
  const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
  const next = safeNext(form.get("next"));
  const username = form.get("username") ?? "";
  try {
    await callerOf(await createContext(services, req, res)).auth.login({ username, password: form.get("password") ?? "" });
    redirect(res, next);
  } catch (err) {
    if (!(err instanceof TRPCError) || err.code === "INTERNAL_SERVER_ERROR") throw err;
    const message = err.code === "BAD_REQUEST" ? "Enter a username and a password." : err.message;
    redirect(res, `/login?${new URLSearchParams({ error: message, username, next }).toString()}`);
  }
}

/** tRPC's error shape, so the console's client shows the message like any other error. */
function replyRefusal(res: ServerResponse, path: string, status: 403 | 415, message: string): void {
  if (!path.startsWith("/api/trpc/")) {
    res.writeHead(status, { "content-type": "text/plain" });
    res.end(message);
    return;
  }
  const code = status === 403 ? "FORBIDDEN" : "UNSUPPORTED_MEDIA_TYPE";
  replyJson(res, status, { error: { message, code: status === 403 ? -32003 : -32415, data: { code, httpStatus: status } } });
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Cross-site request forgery: a page on another site (another port of this host counts as the same
 * site, so SameSite=Lax cookies go along) must not change anything with the user's session. Every
 * state-changing request must come from the console's own origin, and tRPC mutations must carry
 * JSON, which a plain HTML form cannot send. The agent heartbeat is exempt: it carries a bearer
 * token, never a cookie. Returns true when the request was refused (and answered).
 */
function refusedAsCrossSite(web: WebAccess, req: IncomingMessage, res: ServerResponse, path: string): boolean {
  if (SAFE_METHODS.has(req.method ?? "GET") || path === HEARTBEAT_PATH) return false;
  const view = web.view(req);
  const foreign = web.crossSiteReason(req, view);
  if (foreign) {
    log.warn({ path, from: foreign, clientAddress: view.clientAddress }, "refused a cross-site request");
    replyRefusal(res, path, 403, `Refused: ${foreign} is not this console (${view.origins.join(" or ")}), so another site sent this request. If you use the console through a proxy, start it with --public-url set to the URL in your browser.`);
    return true;
  }
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  if (path.startsWith("/api/trpc/") && type !== "application/json") {
    replyRefusal(res, path, 415, `Refused: send the request body as application/json (got ${type || "no content type"}).`);
    return true;
  }
  return false;
}

/** Pages anyone may load: the login page and the assets every page needs. */
function isPublicPath(path: string): boolean {
  return (
    path === "/login" ||
    path.startsWith("/_next/") ||
    path.startsWith("/__nextjs") ||
    path === "/favicon.ico" ||
    path === "/robots.txt" ||
    /\.(svg|png|ico|css|js|map|txt|woff2?)$/.test(path)
  );
}

export async function createContext(services: Services, req: IncomingMessage, res: ServerResponse): Promise<Context> {
  const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
  const db = services.database.db;
  const cookies: string[] = [];
  const view = services.web.view(req);
  return {
    services,
    db,
    user: await resolveSession(db, token),
    sessionToken: token,
    requestId: (res.getHeader("x-request-id") as string | undefined) ?? randomUUID(),
    clientAddress: view.clientAddress,
    https: view.https,
    userAgent: req.headers["user-agent"],
    setCookie(cookie) {
      cookies.push(cookie);
      res.setHeader("set-cookie", cookies);
    },
    audit: {},
  };
}

/**
 * The one HTTP entry point: tRPC under /api/trpc, Prometheus text at /metrics, everything else to
 * Next.js. Console pages need a session; without one the browser is sent to /login first.
 */
export function createRequestHandler(services: Services, nextHandler: NextHandler | undefined): RequestListener {
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: "/api/trpc/",
    // Queries whose input is too large for a URL (an offsets CSV to preview) arrive as POST.
    allowMethodOverride: true,
    createContext: ({ req, res }) => createContext(services, req, res),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") log.error({ err: error.cause ?? error, path }, "tRPC procedure failed");
    },
  });
  const requests = metrics.counter("tributary_http_requests_total", "HTTP requests served");

  return (req, res) => {
    requests.inc();
    const requestId = randomUUID();
    res.setHeader("x-request-id", requestId);
    const url = req.url ?? "/";
    const path = url.split("?")[0];
    const fail = (err: unknown) => {
      log.error({ err, path, requestId }, "request failed");
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end("Internal error; see the server log for request " + requestId);
    };
    if (refusedAsCrossSite(services.web, req, res, path)) return;
    if (path.startsWith("/api/trpc/")) {
      Promise.resolve(trpc(req, res)).catch(fail);
      return;
    }
    if (path === HEARTBEAT_PATH) {
      handleHeartbeat(services, req, res).catch(fail);
      return;
    }
    if (path === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(renderPrometheus(metrics));
      return;
    }
    if (!nextHandler) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("Not found: this process serves no console (started without it).");
      return;
    }
    if (path === "/login" && req.method === "POST") {
      handleLoginForm(services, req, res).catch(fail);
      return;
    }
    if (isPublicPath(path)) {
      nextHandler(req, res).catch(fail);
      return;
    }
    const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    resolveSession(services.database.db, token)
      .then((user) => {
        if (user) return nextHandler(req, res);
        res.writeHead(302, { location: `/login?next=${encodeURIComponent(url)}` });
        res.end();
      })
      .catch(fail);
  };
}
