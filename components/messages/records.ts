/** Records typed or uploaded on the Produce page: pure, so they are checked in the browser and in tests alike. */

export interface UploadRecord {
  key: string | null;
  value: string | null;
  headers: { key: string; value: string }[];
  partition?: number;
}

/** Text that starts like JSON must parse; anything else is sent as text. */
export function jsonProblem(text: string): string | undefined {
  const t = text.trim();
  if (!(t.startsWith("{") || t.startsWith("["))) return undefined;
  try {
    JSON.parse(t);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * One line of an upload: an object with a "value" (and optional "key", "headers", "partition") is
 * a record; any other JSON line is itself the value.
 */
export function parseLine(line: string, n: number): UploadRecord {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch (err) {
    throw new Error(`Line ${n} is not JSON: ${(err as Error).message}`);
  }
  const asText = (v: unknown) => (v === null || v === undefined ? null : typeof v === "string" ? v : JSON.stringify(v));
  if (doc && typeof doc === "object" && !Array.isArray(doc) && "value" in doc) {
    const o = doc as { key?: unknown; value: unknown; headers?: unknown; partition?: unknown };
    const headers = o.headers && typeof o.headers === "object" ? Object.entries(o.headers as Record<string, unknown>).map(([key, v]) => ({ key, value: asText(v) ?? "" })) : [];
    if (o.partition !== undefined && (!Number.isInteger(o.partition) || (o.partition as number) < 0)) throw new Error(`Line ${n}: "partition" must be a whole number ≥ 0`);
    return { key: asText(o.key), value: asText(o.value), headers, partition: o.partition as number | undefined };
  }
  return { key: null, value: asText(doc), headers: [] };
}

