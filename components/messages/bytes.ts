/** Record bytes as the server sends them: UTF-8 text, or base64 when they are not valid UTF-8. */
export interface Bytes {
  data: string;
  encoding: "utf8" | "base64";
}

export function toUint8(b: Bytes): Uint8Array {
  if (b.encoding === "utf8") return new TextEncoder().encode(b.data);
  const bin = atob(b.data);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A classic hex dump: offset, 16 bytes in hex, then the printable ASCII. */
export function hexDump(bytes: Uint8Array, max = 64 * 1024): string {
  const lines: string[] = [];
  const n = Math.min(bytes.length, max);
  for (let i = 0; i < n; i += 16) {
    const row = bytes.subarray(i, Math.min(i + 16, n));
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, "0")).join(" ");
    const ascii = Array.from(row, (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${i.toString(16).padStart(8, "0")}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (bytes.length > n) lines.push(`… ${bytes.length - n} more bytes`);
  return lines.join("\n");
}

/** The value parsed, when the text is a JSON object or array; else undefined (shown as text). */
export function parsedJson(text: string): { value: unknown } | undefined {
  const t = text.trim();
  if (!(t.startsWith("{") || t.startsWith("["))) return undefined;
  try {
    return { value: JSON.parse(t) as unknown };
  } catch {
    return undefined; // looks like JSON but is not: shown as text
  }
}

/** Pretty JSON when the text parses as a JSON object or array, else undefined. */
export function prettyJson(text: string): string | undefined {
  const j = parsedJson(text);
  return j && JSON.stringify(j.value, null, 2);
}

export function preview(b: Bytes | null, max = 120): string {
  if (b === null) return "null";
  if (b.encoding === "base64") {
    // Not UTF-8: the first bytes in hex, as the record detail shows them whole.
    const bytes = toUint8(b);
    const shown = Array.from(bytes.subarray(0, Math.max(1, Math.floor(max / 3))), (x) => x.toString(16).padStart(2, "0")).join(" ");
    return `${shown}${bytes.length * 3 > max ? " …" : ""} (${bytes.length} bytes, not UTF-8)`;
  }
  const one = b.data.replace(/\s+/g, " ");
  return one.length > max ? `${one.slice(0, max)}…` : one;
}
