import { ProtocolError, Reader, Writer } from "../codec";
import { APIS, ApiKey, type ApiSpec } from "../messages";
import { decodeStruct, encodeStruct, isFlexible } from "../schema";

type Body = Record<string, unknown>;

export interface RequestHeader {
  apiKey: number;
  version: number;
  correlationId: number;
  clientId: string | null;
}

/** The spec for an API key, or an error naming the key: a capture of an API we do not declare is a bug in the capture. */
export function specOf(apiKey: number): ApiSpec {
  const api = APIS.get(apiKey);
  if (!api) throw new ProtocolError(`API key ${apiKey} is not declared in messages.ts`);
  return api;
}

/** Request header v1 (v2 adds tagged fields); the client id stays a classic nullable string in both. */
export function readRequestHeader(r: Reader): RequestHeader {
  const apiKey = r.int16();
  const version = r.int16();
  const correlationId = r.int32();
  const idLen = r.int16();
  const clientId = idLen < 0 ? null : r.take(idLen).toString("utf8");
  if (isFlexible(specOf(apiKey).request, version)) decodeStruct(r, [], version, true);
  return { apiKey, version, correlationId, clientId };
}

/** ApiVersions answers with response header v0 in every version so that any client can read it. */
function responseHeaderFlexible(api: ApiSpec, version: number): boolean {
  return isFlexible(api.response, version) && api.key !== ApiKey.ApiVersions;
}

function bytesOf(w: Writer): Buffer {
  return Buffer.concat(w.frame().slice(1));
}

function decodeAll(r: Reader, api: ApiSpec, schema: ApiSpec["request"], version: number): Body {
  const body = decodeStruct(r, schema.fields, version, isFlexible(schema, version));
  if (r.remaining !== 0) throw new ProtocolError(`${api.name} v${version}: ${r.remaining} bytes left after the last field`);
  return body;
}

/** A request frame (without its size prefix) decoded with our spec; every byte must be consumed. */
export function decodeRequest(frame: Buffer): { header: RequestHeader; body: Body } {
  const r = new Reader(frame);
  const header = readRequestHeader(r);
  const api = specOf(header.apiKey);
  return { header, body: decodeAll(r, api, api.request, header.version) };
}

export function encodeRequest(header: RequestHeader, body: Body): Buffer {
  const api = specOf(header.apiKey);
  const flexible = isFlexible(api.request, header.version);
  const w = new Writer(256);
  w.int16(header.apiKey);
  w.int16(header.version);
  w.int32(header.correlationId);
  if (header.clientId === null) w.int16(-1);
  else {
    const id = Buffer.from(header.clientId, "utf8");
    w.int16(id.length);
    w.bytes(id);
  }
  if (flexible) w.uvarint(0);
  encodeStruct(w, api.request.fields, body, header.version, flexible);
  return bytesOf(w);
}

/** A response frame (correlation id, header, body) decoded with our spec for the request it answers. */
export function decodeResponse(apiKey: number, version: number, frame: Buffer): { correlationId: number; body: Body } {
  const api = specOf(apiKey);
  const r = new Reader(frame);
  const correlationId = r.int32();
  if (responseHeaderFlexible(api, version)) decodeStruct(r, [], version, true);
  return { correlationId, body: decodeAll(r, api, api.response, version) };
}

export function encodeResponse(apiKey: number, version: number, correlationId: number, body: Body): Buffer {
  const api = specOf(apiKey);
  const w = new Writer(256);
  w.int32(correlationId);
  if (responseHeaderFlexible(api, version)) w.uvarint(0);
  encodeStruct(w, api.response.fields, body, version, isFlexible(api.response, version));
  return bytesOf(w);
}
