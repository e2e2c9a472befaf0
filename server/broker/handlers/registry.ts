import type { Reader } from "../../kafka/codec";
import type { ApiSpec } from "../../kafka/messages";
import type { ApiName } from "../../kafka/messages.types";
import { decodeRequest, type RequestOf, type ResponseInputOf } from "../../kafka/protocol";
import { encodeResponse } from "../protocol/encode";

/** What a handler knows about the request besides its body. */
export interface RequestInfo {
  apiVersion: number;
  clientId: string;
  clientHost: string;
  /** Aborted when the connection closes, so a long poll stops waiting. */
  signal: AbortSignal;
  /** The connection's SASL exchange while it has not authenticated; undefined once it has, or when SASL is off. */
  sasl: SaslSession | undefined;
}

/** A connection's side of SASL: the handshake picks a mechanism, then each token is answered. */
export interface SaslSession {
  handshake(mechanism: string, version: number): ResponseInputOf<"SaslHandshake">;
  authenticate(authBytes: Buffer): ResponseInputOf<"SaslAuthenticate">;
}

type Awaitable<T> = T | Promise<T>;

/**
 * One API's broker logic: the decoded request in, the response body out. null means the request
 * gets no response at all, which Kafka does for Produce with acks=0 alone.
 */
export type Handler<N extends ApiName> = (req: RequestOf<N>, info: RequestInfo) => Awaitable<ResponseInputOf<N> | null>;

/** A handler's answer as its response frame for a correlation id (encoded in slices when large, see encode.ts). */
export type Reply = (correlationId: number) => Buffer[] | Promise<Buffer[]>;

/** What the connection runs for a request of one API: the body is decoded, handled, and its answer encoded. */
export interface Route {
  readonly api: ApiSpec;
  /** Throws ProtocolError or RangeError when the body does not decode; resolves with null for a request without response. */
  handle(version: number, body: Reader, info: RequestInfo): Awaitable<Reply | null>;
}

/**
 * Every API the broker serves, by key. Registering keeps the request and response types of the
 * API's handle (`Apis.Produce`) together with its handler, so the type is lost only at the byte
 * boundary, where the connection hands over a Reader and gets frame bytes back.
 */
export class HandlerRegistry {
  private readonly routes = new Map<number, Route>();

  register<N extends ApiName>(api: ApiSpec<N>, handler: Handler<N>): void {
    if (this.routes.has(api.key)) throw new Error(`${api.name} has a handler already`);
    const reply = (version: number, res: ResponseInputOf<N> | null): Reply | null => (res === null ? null : (correlationId) => encodeResponse(api, version, correlationId, res));
    this.routes.set(api.key, {
      api,
      handle(version, body, info) {
        const res = handler(decodeRequest(api, version, body), info);
        return res instanceof Promise ? res.then((r) => reply(version, r)) : reply(version, res);
      },
    });
  }

  route(apiKey: number): Route | undefined {
    return this.routes.get(apiKey);
  }

  /** The version ranges ApiVersions advertises, one per API served. */
  apiVersions(): ResponseInputOf<"ApiVersions">["apiKeys"] {
    return [...this.routes.values()].map(({ api }) => ({ apiKey: api.key, minVersion: api.minVersion, maxVersion: api.maxVersion }));
  }
}
