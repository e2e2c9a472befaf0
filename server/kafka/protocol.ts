import { ProtocolError, Reader, Writer } from "./codec";
import { writeRequestHeader, writeResponseHeader } from "./headers";
import type { ApiSpec } from "./messages";
import type { ApiName, KafkaMessages } from "./messages.types";
import { decodeStruct, encodeStruct, isFlexible, type MessageSchema } from "./schema";

/**
 * The typed codec of Kafka message bodies: the API's handle (`Apis.Fetch`) picks the shapes, so
 * `decodeRequest(Apis.Fetch, v, r)` returns a FetchRequest and `encodeResponse(Apis.Fetch, v, body, w)`
 * accepts only a FetchResponseInput. The broker decodes requests and encodes responses; a client
 * encodes requests and decodes responses.
 */
export type RequestOf<N extends ApiName> = KafkaMessages[N]["request"];
export type RequestInputOf<N extends ApiName> = KafkaMessages[N]["requestInput"];
export type ResponseOf<N extends ApiName> = KafkaMessages[N]["response"];
export type ResponseInputOf<N extends ApiName> = KafkaMessages[N]["responseInput"];

function checkVersion(api: ApiSpec, version: number): void {
  if (!Number.isInteger(version) || version < api.minVersion || version > api.maxVersion) {
    throw new ProtocolError(`${api.name} v${version} is not declared (versions ${api.minVersion}-${api.maxVersion}); pick a version both sides list in ApiVersions`);
  }
}

// The generated shapes describe exactly what decodeStruct builds from the same declaration, so
// this is the one place a body changes from untyped to typed.
function decode(schema: MessageSchema, api: ApiSpec, version: number, r: Reader): object {
  checkVersion(api, version);
  return decodeStruct(r, schema.fields, version, isFlexible(schema, version));
}

function encode(schema: MessageSchema, api: ApiSpec, version: number, body: object, w: Writer): void {
  checkVersion(api, version);
  encodeStruct(w, schema.fields, body as Record<string, unknown>, version, isFlexible(schema, version));
}

export function decodeRequest<N extends ApiName>(api: ApiSpec<N>, version: number, r: Reader): RequestOf<N> {
  return decode(api.request, api, version, r) as RequestOf<N>;
}

export function decodeResponse<N extends ApiName>(api: ApiSpec<N>, version: number, r: Reader): ResponseOf<N> {
  return decode(api.response, api, version, r) as ResponseOf<N>;
}

export function encodeRequest<N extends ApiName>(api: ApiSpec<N>, version: number, body: NoInfer<RequestInputOf<N>>, w: Writer): void {
  encode(api.request, api, version, body, w);
}

export function encodeResponse<N extends ApiName>(api: ApiSpec<N>, version: number, body: NoInfer<ResponseInputOf<N>>, w: Writer): void {
  encode(api.response, api, version, body, w);
}

/** A whole request frame (size, header, body) ready for the socket. */
export function requestFrame<N extends ApiName>(api: ApiSpec<N>, version: number, correlationId: number, clientId: string | null, body: NoInfer<RequestInputOf<N>>): Buffer[] {
  const w = new Writer(512);
  writeRequestHeader(w, api, version, correlationId, clientId);
  encodeRequest(api, version, body, w);
  return w.frame();
}

/** A whole response frame (size, header, body) ready for the socket. */
export function responseFrame<N extends ApiName>(api: ApiSpec<N>, version: number, correlationId: number, body: NoInfer<ResponseInputOf<N>>): Buffer[] {
  const w = new Writer(512);
  writeResponseHeader(w, api, version, correlationId);
  encodeResponse(api, version, body, w);
  return w.frame();
}
