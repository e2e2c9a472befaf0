import { randomUUID } from "node:crypto";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { appRouter } from "./api/root";
import type { Context, Services } from "./api/trpc";
import { parseCookies, resolveSession, SESSION_COOKIE } from "./control/sessions";
import { logger } from "./log";
import { renderPrometheus } from "./metrics/prometheus";
import { metrics } from "./metrics/registry";

const log = logger("http");

type NextHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

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
  return {
    services,
    db,
    user: await resolveSession(db, token),
    sessionToken: token,
    requestId: (res.getHeader("x-request-id") as string | undefined) ?? randomUUID(),
    clientAddress: req.socket.remoteAddress,
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
    if (path.startsWith("/api/trpc/")) {
      Promise.resolve(trpc(req, res)).catch(fail);
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
