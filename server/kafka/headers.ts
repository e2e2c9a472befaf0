import { Reader, Writer } from "./codec";
import { APIS, ApiKey, type ApiSpec } from "./messages";
import { decodeStruct, isFlexible } from "./schema";

/**
 * Kafka's request and response headers. Requests use header v1, or v2 (v1 plus tagged fields) in
 * the API's flexible versions; header v0 (no client id) belongs to ControlledShutdown v0 alone,
 * which this layer does not declare. Responses use header v0, or v1 (plus tagged fields) in
 * flexible versions — except ApiVersions, which always answers in v0.
 */
export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  /** A classic nullable string even in header v2, so that any broker can read it. */
  clientId: string | null;
}

export function requestHeaderVersion(api: ApiSpec, version: number): 1 | 2 {
  return isFlexible(api.request, version) ? 2 : 1;
}

/** ApiVersions stays on v0 so a client that does not know the broker's versions yet can read the answer. */
export function responseHeaderVersion(api: ApiSpec, version: number): 0 | 1 {
  return api.key !== ApiKey.ApiVersions && isFlexible(api.response, version) ? 1 : 0;
}

// The headers define no tagged fields this layer reads; any sent are skipped.
const skipTaggedFields = (r: Reader) => decodeStruct(r, [], 0, true);

export function writeRequestHeader(w: Writer, api: ApiSpec, version: number, correlationId: number, clientId: string | null): void {
  w.int16(api.key);
  w.int16(version);
  w.int32(correlationId);
  if (clientId === null) w.int16(-1);
  else {
    const id = Buffer.from(clientId, "utf8");
    w.int16(id.length);
    w.bytes(id);
  }
  if (requestHeaderVersion(api, version) === 2) w.uvarint(0);
}

/**
 * Reads a request header. Header v2's tagged fields are skipped only for an API and version this
 * layer declares: for any other the caller answers with an error without reading the body.
 */
export function readRequestHeader(r: Reader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const idLength = r.int16();
  const clientId = idLength < 0 ? null : r.take(idLength).toString("utf8");
  const api = APIS.get(apiKey);
  if (api && apiVersion >= api.minVersion && apiVersion <= api.maxVersion && requestHeaderVersion(api, apiVersion) === 2) skipTaggedFields(r);
  return { apiKey, apiVersion, correlationId, clientId };
}

export function writeResponseHeader(w: Writer, api: ApiSpec, version: number, correlationId: number): void {
  w.int32(correlationId);
  if (responseHeaderVersion(api, version) === 1) w.uvarint(0);
}

/**
 * Reads the header of a response to a request of this API and version, and returns its correlation
 * id. The id is the frame's first four bytes in every header version, so a client can look up
 * which request is answered (`frame.readInt32BE(0)`) before it calls this.
 */
export function readResponseHeader(r: Reader, api: ApiSpec, version: number): number {
  const correlationId = r.int32();
  if (responseHeaderVersion(api, version) === 1) skipTaggedFields(r);
  return correlationId;
}
