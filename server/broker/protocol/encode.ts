import { Writer } from "../../kafka/codec";
import { ApiKey, type ApiSpec } from "../../kafka/messages";
import { EncodedArray, encodeStruct, inRange, isFlexible, type Field } from "../../kafka/schema";
import { Slices } from "./slices";

type Body = Record<string, any>;

/** Responses with more array elements than this are encoded in slices. */
const LARGE_RESPONSE_ELEMENTS = 2000;

/**
 * A response frame. Small responses (nearly all) are encoded at once; one with thousands of
 * array elements (Metadata of every topic, DescribeConfigs of thousands of topics, Fetch or
 * ListOffsets of thousands of partitions) has its arrays encoded a slice at a time, so that
 * writing a 20 MB response does not stop the broker for everyone else.
 */
export function encodeResponse(api: ApiSpec, version: number, correlationId: number, body: Body): Buffer[] | Promise<Buffer[]> {
  const flexible = isFlexible(api.response, version);
  const full = { throttleTimeMs: 0, ...body };
  if (elements(api.response.fields, full, version, LARGE_RESPONSE_ELEMENTS) <= LARGE_RESPONSE_ELEMENTS) return frame(api, version, correlationId, full, flexible);
  return encodeArrays(api.response.fields, full, version, flexible, new Slices()).then(() => frame(api, version, correlationId, full, flexible));
}

function frame(api: ApiSpec, version: number, correlationId: number, body: Body, flexible: boolean): Buffer[] {
  const w = new Writer(512);
  w.int32(correlationId);
  // ApiVersions always answers with response header v0 so any client can read it.
  if (flexible && api.key !== ApiKey.ApiVersions) w.uvarint(0);
  encodeStruct(w, api.response.fields, body, version, flexible);
  return w.frame();
}

const structArrays = (fields: Field[], version: number) => fields.filter((f) => f.array && f.type === "struct" && inRange(f.versions, version));

/** Elements in the body's arrays of structs, counted until the count passes `limit`. */
function elements(fields: Field[], body: Body, version: number, limit: number): number {
  let n = 0;
  for (const f of structArrays(fields, version)) {
    const items = body[f.name] as Body[] | null | undefined;
    if (!Array.isArray(items)) continue;
    n += items.length;
    for (const item of items) {
      if (n > limit) return n;
      n += elements(f.fields, item, version, limit - n);
    }
  }
  return n;
}

/** Replaces every array of structs in body (innermost first) by its encoding, yielding between slices. */
async function encodeArrays(fields: Field[], body: Body, version: number, flexible: boolean, slices: Slices): Promise<void> {
  for (const f of structArrays(fields, version)) {
    const items = body[f.name] as Body[] | null | undefined;
    if (!Array.isArray(items)) continue;
    const nested = structArrays(f.fields, version).length > 0;
    const w = new Writer(4096);
    for (const item of items) {
      if (nested) await encodeArrays(f.fields, item, version, flexible, slices);
      encodeStruct(w, f.fields, item, version, flexible);
      if (slices.due) await slices.next();
    }
    body[f.name] = new EncodedArray(items.length, w.frame().slice(1));
  }
}
