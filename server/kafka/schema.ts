import { ProtocolError, Reader, Writer, ZERO_UUID } from "./codec";

/**
 * Messages are declared as text, one field per line, in the shape of Kafka's own message JSON:
 *
 *   name type [versions] [null[=versions]] [tag=N] [default=V] [# about]
 *
 * with children indented under `[]` (array of structs) and `{}` (struct) fields; `[]int32`,
 * `[]string`, `[]int64` are arrays of primitives. Versions read "3+", "0-4" or "5"; omitted means
 * every version. The text after `#` says what the field means; it becomes the field's doc comment
 * in the generated types (messages.types.ts). Adding a version to an API is adding lines, not code.
 */
type Primitive = "int8" | "int16" | "uint16" | "int32" | "int64" | "float64" | "bool" | "string" | "bytes" | "records" | "uuid";

export interface Range {
  min: number;
  max: number;
}

export interface Field {
  name: string;
  type: Primitive | "struct";
  array: boolean;
  versions: Range;
  nullable: Range | null;
  tag: number | null;
  /** What decode fills in when the field is absent in a version, and encode writes when it is omitted. */
  default: unknown;
  /** The declaration gave `default=`: encoders may omit the field. */
  explicitDefault: boolean;
  about: string | null;
  fields: Field[];
}

export interface MessageSchema {
  fields: Field[];
  flexible: Range;
}

const NONE: Range = { min: Infinity, max: -Infinity };

export function parseRange(s: string): Range {
  if (s === "none") return NONE;
  if (s.endsWith("+")) return { min: Number(s.slice(0, -1)), max: Infinity };
  const [a, b] = s.split("-");
  return { min: Number(a), max: Number(b ?? a) };
}

export const inRange = (r: Range | null, v: number) => !!r && v >= r.min && v <= r.max;

const PRIMITIVES = new Set(["int8", "int16", "uint16", "int32", "int64", "float64", "bool", "string", "bytes", "records", "uuid"]);

// Defaults are shared by every decoded message: frozen, so a handler that mutates one fails loudly
// instead of changing what later decodes return.
function parseDefault(type: Field["type"], array: boolean, raw: string | undefined, nullable: boolean): unknown {
  if (array) return raw === "null" ? null : Object.freeze([]);
  if (raw === "null") return null;
  switch (type) {
    case "bool":
      return raw === "true";
    case "string":
      return raw ?? "";
    case "bytes":
    case "records":
      return nullable ? null : Buffer.alloc(0);
    case "uuid":
      return ZERO_UUID;
    case "struct":
      return null;
    default:
      return raw === undefined ? 0 : Number(raw);
  }
}

export function parseFields(text: string): Field[] {
  const root: Field[] = [];
  const stack: { indent: number; fields: Field[] }[] = [{ indent: -1, fields: root }];
  for (const raw of text.split("\n")) {
    const hash = raw.indexOf("#");
    const line = (hash < 0 ? raw : raw.slice(0, hash)).trimEnd();
    if (!line.trim()) continue;
    const indent = line.length - line.trimStart().length;
    while (stack[stack.length - 1].indent >= indent) stack.pop();
    const field = parseField(line.trim(), hash < 0 ? null : raw.slice(hash + 1).trim() || null);
    stack[stack.length - 1].fields.push(field);
    if (field.type === "struct") stack.push({ indent, fields: field.fields });
  }
  fillStructDefaults(root);
  return root;
}

function parseField(line: string, about: string | null): Field {
  const [name, typeTok, ...rest] = line.split(/\s+/);
  const array = typeTok.startsWith("[]");
  const base = array ? typeTok.slice(2) : typeTok;
  const struct = base === "" || base === "{}";
  if (!struct && !PRIMITIVES.has(base)) throw new Error(`schema: unknown type ${typeTok} in "${line}"`);
  let versions: Range = { min: 0, max: Infinity };
  let nullable: Range | null = null;
  let tag: number | null = null;
  let rawDefault: string | undefined;
  for (const tok of rest) {
    if (/^\d/.test(tok)) versions = parseRange(tok);
    else if (tok === "null") nullable = { min: 0, max: Infinity };
    else if (tok.startsWith("null=")) nullable = parseRange(tok.slice(5));
    else if (tok.startsWith("tag=")) tag = Number(tok.slice(4));
    else if (tok.startsWith("default=")) rawDefault = tok.slice(8);
    else throw new Error(`schema: cannot read "${tok}" in "${line}"`);
  }
  const type = struct ? "struct" : (base as Primitive);
  const dflt = parseDefault(type, array, rawDefault, nullable !== null);
  return { name, type, array, versions, nullable, tag, default: dflt, explicitDefault: rawDefault !== undefined, about, fields: [] };
}

/** A struct field that is absent in a version decodes as its children's defaults (null only if nullable). */
function fillStructDefaults(fields: Field[]): void {
  for (const f of fields) {
    if (f.type !== "struct") continue;
    fillStructDefaults(f.fields);
    if (!f.array && f.nullable === null) f.default = Object.freeze(Object.fromEntries(f.fields.map((c) => [c.name, c.default])));
  }
}

// ---- decoding ----

function readString(r: Reader, flexible: boolean, nullable: boolean): string | null {
  const len = flexible ? r.uvarint() - 1 : r.int16();
  if (len < 0) {
    if (!nullable) throw new ProtocolError("null where a string is required");
    return null;
  }
  return r.take(len).toString("utf8");
}

function readBytes(r: Reader, flexible: boolean, nullable: boolean): Buffer | null {
  const len = flexible ? r.uvarint() - 1 : r.int32();
  if (len < 0) {
    if (!nullable) throw new ProtocolError("null where bytes are required");
    return null;
  }
  return r.take(len);
}

function readOne(r: Reader, f: Field, version: number, flexible: boolean, nullable: boolean): unknown {
  switch (f.type) {
    case "int8":
      return r.int8();
    case "int16":
      return r.int16();
    case "uint16":
      return r.uint16();
    case "int32":
      return r.int32();
    case "int64":
      return r.int64();
    case "float64":
      return r.float64();
    case "bool":
      return r.int8() !== 0;
    case "uuid":
      return r.uuid();
    case "string":
      return readString(r, flexible, nullable);
    case "bytes":
    case "records":
      return readBytes(r, flexible, nullable);
    case "struct":
      return decodeStruct(r, f.fields, version, flexible);
  }
}

function readField(r: Reader, f: Field, version: number, flexible: boolean): unknown {
  const nullable = inRange(f.nullable, version);
  if (!f.array) {
    if (f.type === "struct" && nullable && r.int8() < 0) return null;
    return readOne(r, f, version, flexible, nullable);
  }
  const n = flexible ? r.uvarint() - 1 : r.int32();
  if (n < 0) {
    if (!nullable) throw new ProtocolError(`null array ${f.name}`);
    return null;
  }
  if (n > r.remaining) throw new ProtocolError(`array ${f.name} claims ${n} elements in ${r.remaining} bytes`);
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = readOne(r, f, version, flexible, false);
  return out;
}

function skipTaggedFields(r: Reader, obj: Record<string, unknown>, fields: Field[], version: number): void {
  const count = r.uvarint();
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    const size = r.uvarint();
    const f = fields.find((x) => x.tag === tag && inRange(x.versions, version));
    if (f) {
      const sub = new Reader(r.take(size));
      obj[f.name] = readField(sub, f, version, true);
    } else r.take(size);
  }
}

export function decodeStruct(r: Reader, fields: Field[], version: number, flexible: boolean): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  for (const f of fields) {
    // Tagged fields come after the struct's regular fields, in the tag section read below.
    if (!inRange(f.versions, version) || f.tag !== null) {
      obj[f.name] = f.default;
      continue;
    }
    obj[f.name] = readField(r, f, version, flexible);
  }
  if (flexible) skipTaggedFields(r, obj, fields, version);
  return obj;
}

// ---- encoding ----

/**
 * An array whose elements are already encoded, written as it is: lets the broker encode a huge
 * response in slices, giving the event loop back between them.
 */
export class EncodedArray {
  constructor(
    readonly count: number,
    readonly chunks: Buffer[],
  ) {}
}

function writeOne(w: Writer, f: Field, v: unknown, version: number, flexible: boolean, nullable: boolean): void {
  switch (f.type) {
    case "int8":
      return w.int8((v as number) ?? 0);
    case "int16":
      return w.int16((v as number) ?? 0);
    case "uint16":
      return w.uint16((v as number) ?? 0);
    case "int32":
      return w.int32((v as number) ?? 0);
    case "int64":
      return w.int64((v as number) ?? 0);
    case "float64":
      return w.float64((v as number) ?? 0);
    case "bool":
      return w.int8(v ? 1 : 0);
    case "uuid":
      return w.uuid((v as string) ?? ZERO_UUID);
    case "string": {
      if (v == null) {
        if (!nullable) v = "";
        else return flexible ? w.uvarint(0) : w.int16(-1);
      }
      const b = Buffer.from(v as string, "utf8");
      if (flexible) w.uvarint(b.length + 1);
      else w.int16(b.length);
      return w.bytes(b);
    }
    case "bytes":
    case "records": {
      if (v == null) {
        if (nullable) return flexible ? w.uvarint(0) : w.int32(-1);
        v = Buffer.alloc(0);
      }
      const b = v as Buffer;
      if (flexible) w.uvarint(b.length + 1);
      else w.int32(b.length);
      return w.bytes(b);
    }
    case "struct":
      return encodeStruct(w, f.fields, (v ?? {}) as Record<string, unknown>, version, flexible);
  }
}

function writeField(w: Writer, f: Field, v: unknown, version: number, flexible: boolean): void {
  const nullable = inRange(f.nullable, version);
  if (!f.array) {
    if (f.type === "struct" && nullable) {
      if (v == null) return w.int8(-1);
      w.int8(1);
    }
    return writeOne(w, f, v, version, flexible, nullable);
  }
  if (v instanceof EncodedArray) {
    if (flexible) w.uvarint(v.count + 1);
    else w.int32(v.count);
    for (const c of v.chunks) w.bytes(c);
    return;
  }
  const arr = v as unknown[] | null | undefined;
  if (arr == null) {
    if (nullable) return flexible ? w.uvarint(0) : w.int32(-1);
    return flexible ? w.uvarint(1) : w.int32(0);
  }
  if (flexible) w.uvarint(arr.length + 1);
  else w.int32(arr.length);
  for (const item of arr) writeOne(w, f, item, version, flexible, false);
}

export function encodeStruct(w: Writer, fields: Field[], obj: Record<string, unknown>, version: number, flexible: boolean): void {
  const tagged: Field[] = [];
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue;
    if (f.tag !== null) {
      if (flexible && obj[f.name] != null && obj[f.name] !== f.default) tagged.push(f);
      continue;
    }
    writeField(w, f, obj[f.name] === undefined ? f.default : obj[f.name], version, flexible);
  }
  if (!flexible) return;
  w.uvarint(tagged.length);
  for (const f of tagged.sort((a, b) => a.tag! - b.tag!)) {
    const sub = new Writer(64);
    writeField(sub, f, obj[f.name], version, true);
    const chunks = sub.frame().slice(1);
    w.uvarint(f.tag!);
    w.uvarint(chunks.reduce((n, c) => n + c.length, 0));
    for (const c of chunks) w.bytes(c);
  }
}

export function isFlexible(schema: MessageSchema, version: number): boolean {
  return inRange(schema.flexible, version);
}
