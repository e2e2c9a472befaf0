import { ProtocolError, Reader, Writer } from "../codec";
import { readRequestHeader, readResponseHeader, writeRequestHeader, writeResponseHeader, type RequestHeader } from "../headers";
import { APIS, type ApiSpec } from "../messages";
import type { ApiName } from "../messages.types";
import {
  decodeRequest as decodeRequestBody,
  decodeResponse as decodeResponseBody,
  encodeRequest as encodeRequestBody,
  encodeResponse as encodeResponseBody,
  type RequestOf,
  type ResponseOf,
} from "../protocol";

// Whole captured frames (header and body, without the size prefix) through the protocol layer's
// own header and body codecs; a capture can be of any API, so bodies are typed as any API's.
type Request = RequestOf<ApiName>;
type Response = ResponseOf<ApiName>;

/** The spec for an API key, or an error naming the key: a capture of an API we do not declare is a bug in the capture. */
export function specOf(apiKey: number): ApiSpec {
  const api = APIS.get(apiKey);
  if (!api) throw new ProtocolError(`API key ${apiKey} is not declared in messages.ts`);
  return api;
}

function consumed(r: Reader, api: ApiSpec, version: number): void {
  if (r.remaining !== 0) throw new ProtocolError(`${api.name} v${version}: ${r.remaining} bytes left after the last field`);
}

const bytesOf = (w: Writer) => Buffer.concat(w.frame().slice(1));

/** A request frame decoded with our spec; every byte must be consumed. */
export function decodeRequest(frame: Buffer): { header: RequestHeader; body: Request } {
  const r = new Reader(frame);
  const header = readRequestHeader(r);
  const api = specOf(header.apiKey);
  const body = decodeRequestBody(api, header.apiVersion, r);
  consumed(r, api, header.apiVersion);
  return { header, body };
}

export function encodeRequest(header: RequestHeader, body: Request): Buffer {
  const api = specOf(header.apiKey);
  const w = new Writer(256);
  writeRequestHeader(w, api, header.apiVersion, header.correlationId, header.clientId);
  encodeRequestBody(api, header.apiVersion, body, w);
  return bytesOf(w);
}

/** A response frame decoded with our spec for the request it answers; every byte must be consumed. */
export function decodeResponse(apiKey: number, version: number, frame: Buffer): { correlationId: number; body: Response } {
  const api = specOf(apiKey);
  const r = new Reader(frame);
  const correlationId = readResponseHeader(r, api, version);
  const body = decodeResponseBody(api, version, r);
  consumed(r, api, version);
  return { correlationId, body };
}

export function encodeResponse(apiKey: number, version: number, correlationId: number, body: Response): Buffer {
  const api = specOf(apiKey);
  const w = new Writer(256);
  writeResponseHeader(w, api, version, correlationId);
  encodeResponseBody(api, version, body, w);
  return bytesOf(w);
}
