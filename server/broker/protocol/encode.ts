import { Writer } from "../../kafka/codec";
import { writeResponseHeader } from "../../kafka/headers";
import type { ApiSpec } from "../../kafka/messages";
import type { ApiName } from "../../kafka/messages.types";
import type { ResponseInputOf } from "../../kafka/protocol";
import { EncodedArray, encodeStruct, inRange, isFlexible, type Field } from "../../kafka/schema";
import { Slices } from "./slices";

/** A response body as the schema walk sees it: fields by name, of any declared type. */
type Struct = Record<string, unknown>;

/** Responses with more array elements than this are encoded in slices. */
const LARGE_RESPONSE_ELEMENTS = 2000;

/**
 * A response frame. Small responses (nearly all) are encoded at once; one with thousands of
 * array elements (Metadata of every topic, DescribeConfigs of thousands of topics, Fetch or
 * ListOffsets of thousands of partitions) has its arrays encoded a slice at a time, so that
 * writing a 20 MB response does not stop the broker for everyone else.
 */
export function encodeResponse<N extends ApiName>(api: ApiSpec<N>, version: number, correlationId: number, body: NoInfer<ResponseInputOf<N>>): Buffer[] | Promise<Buffer[]> {
  const flexible = isFlexible(api.response, version);
  // A shallow copy: slicing replaces its arrays by their encodings, and the handler's object stays as it was.
  const struct: Struct = { ...body };
  if (elements(api.response.fields, struct, version, LARGE_RESPONSE_ELEMENTS) <= LARGE_RESPONSE_ELEMENTS) return frame(api, version, correlationId, struct, flexible);
  return encodeArrays(api.response.fields, struct, version, flexible, new Slices()).then(() => frame(api, version, correlationId, struct, flexible));
}

function frame(api: ApiSpec, version: number, correlationId: number, body: Struct, flexible: boolean): Buffer[] {
  const w = new Writer(512);
  writeResponseHeader(w, api, version, correlationId);
  encodeStruct(w, api.response.fields, body, version, flexible);
  return w.frame();
}

const structArrays = (fields: Field[], version: number) => fields.filter((f) => f.array && f.type === "struct" && inRange(f.versions, version));

function items(body: Struct, f: Field): Struct[] | undefined {
  const v = body[f.name];
  return Array.isArray(v) ? (v as Struct[]) : undefined;
}

/** Elements in the body's arrays of structs, counted until the count passes `limit`. */
function elements(fields: Field[], body: Struct, version: number, limit: number): number {
  let n = 0;
  for (const f of structArrays(fields, version)) {
    const list = items(body, f);
    if (!list) continue;
    n += list.length;
    for (const item of list) {
      if (n > limit) return n;
      n += elements(f.fields, item, version, limit - n);
    }
  }
  return n;
}

/** Replaces every array of structs in body (innermost first) by its encoding, yielding between slices. */
async function encodeArrays(fields: Field[], body: Struct, version: number, flexible: boolean, slices: Slices): Promise<void> {
  for (const f of structArrays(fields, version)) {
    const list = items(body, f);
    if (!list) continue;
    const nested = structArrays(f.fields, version).length > 0;
    const w = new Writer(4096);
    for (const item of list) {
      const copy = nested ? { ...item } : item;
      if (nested) await encodeArrays(f.fields, copy, version, flexible, slices);
      encodeStruct(w, f.fields, copy, version, flexible);
      if (slices.due) await slices.next();
    }
    body[f.name] = new EncodedArray(list.length, w.frame().slice(1));
  }
}
