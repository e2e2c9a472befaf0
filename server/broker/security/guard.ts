import { performance } from "node:perf_hooks";
import type { ApiSpec } from "../../kafka/messages";
import type { ApiName } from "../../kafka/messages.types";
import type { RequestOf, ResponseInputOf } from "../../kafka/protocol";
import type { Handler, RequestGuard, RequestInfo } from "../handlers/registry";
import type { LogManager } from "../log/log-manager";
import type { Resource } from "./acl";
import { authorizeRequest, type Access } from "./authorization";
import type { Authorizer, RequestContext } from "./authorizer";
import type { BrokerSecurity } from "./security";

const USER_PREFIX = "User:";

/**
 * Every request passes here: it is served under its API's rule of the authorization table, then
 * counted against the client's quotas. A client over a quota gets its answer with
 * throttleTimeMs set, and its connection is not read for that long, as Kafka does since KIP-219.
 */
export class SecurityGuard implements RequestGuard {
  constructor(
    private readonly security: BrokerSecurity,
    private readonly logs: LogManager,
  ) {}

  serve<N extends ApiName>(api: ApiSpec<N>, req: RequestOf<N>, requestBytes: number, info: RequestInfo, handler: Handler<N>): ResponseInputOf<N> | null | Promise<ResponseInputOf<N> | null> {
    const access = new PrincipalAccess(this.security.authorizer, { principal: info.principal, host: info.clientHost }, this.logs);
    if (!this.security.quotas.any) return authorizeRequest(api.name, req, info.apiVersion, access, (r) => handler(r, info));
    const started = performance.now();
    const res = authorizeRequest(api.name, req, info.apiVersion, access, (r) => handler(r, info));
    // The request's share of the event loop: what its handler ran before handing back an answer or a promise.
    const handlingMs = performance.now() - started;
    const done = (r: ResponseInputOf<N> | null) => this.throttle(api, requestBytes, handlingMs, info, r);
    return res instanceof Promise ? res.then(done) : done(res);
  }

  private throttle<N extends ApiName>(api: ApiSpec<N>, requestBytes: number, handlingMs: number, info: RequestInfo, res: ResponseInputOf<N> | null): ResponseInputOf<N> | null {
    const quotas = this.security.quotas;
    const user = info.principal.startsWith(USER_PREFIX) ? info.principal.slice(USER_PREFIX.length) : info.principal;
    let ms = quotas.record("request_percentage", user, info.clientId, handlingMs);
    if (api.name === "Produce") ms = Math.max(ms, quotas.record("producer_byte_rate", user, info.clientId, requestBytes));
    else if (api.name === "Fetch" && res) ms = Math.max(ms, quotas.record("consumer_byte_rate", user, info.clientId, fetchedBytes(res as ResponseInputOf<"Fetch">)));
    if (ms <= 0) return res;
    info.throttle(ms);
    return res && api.response.fields.some((f) => f.name === "throttleTimeMs") ? { ...res, throttleTimeMs: ms } : res;
  }
}

/** What the authorization table may ask about one request's principal: a class, so a request allocates no closures for it. */
class PrincipalAccess implements Access {
  constructor(
    private readonly authorizer: Authorizer,
    private readonly ctx: RequestContext,
    private readonly logs: LogManager,
  ) {}

  may(operation: number, resource: Resource): boolean {
    return this.authorizer.authorize(this.ctx, operation, resource);
  }

  mayAny(operation: number, type: number): boolean {
    return this.authorizer.authorizeAny(this.ctx, operation, type);
  }

  operations(resource: Resource): number {
    return this.authorizer.authorizedOperations(this.ctx, resource);
  }

  topicExists(name: string): boolean {
    return this.logs.topic(name) !== undefined;
  }

  topicName(id: string): string | undefined {
    return this.logs.topicById(id)?.name;
  }
}

function fetchedBytes(res: ResponseInputOf<"Fetch">): number {
  let n = 0;
  for (const t of res.responses) for (const p of t.partitions) n += p.records?.length ?? 0;
  return n;
}
