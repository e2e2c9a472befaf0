import type { Reader, Writer } from "../codec";
import { APIS } from "../messages";
import { decodeStruct, encodeStruct } from "../schema";
import type { BrokerConnection, RequestOptions } from "./connection";

/**
 * Requests over a connection at the version negotiated with that broker.
 * TEMPORARY: untyped until the typed message API lands; every caller names the response shape.
 */
export async function call<R>(conn: BrokerConnection, apiKey: number, body: Record<string, unknown>, o: RequestOptions = {}): Promise<R> {
  const version = conn.version(apiKey);
  return callAt<R>(conn, apiKey, version, body, o);
}

export function callAt<R>(conn: BrokerConnection, apiKey: number, version: number, body: Record<string, unknown>, o: RequestOptions = {}): Promise<R> {
  const spec = APIS.get(apiKey)!;
  return conn.send(
    apiKey,
    version,
    (w: Writer, flexible) => encodeStruct(w, spec.request.fields, body, version, flexible),
    (r: Reader, flexible) => decodeStruct(r, spec.response.fields, version, flexible) as R,
    o,
  );
}
