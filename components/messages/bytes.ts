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

/** Pretty JSON when the text parses as a JSON object or array, else undefined. */
export function prettyJson(text: string): string | undefined {
  const t = text.trim();
  if (!(t.startsWith("{") || t.startsWith("["))) return undefined;
  try {
    return JSON.stringify(JSON.parse(t), null, 2);
  } catch {
    return undefined; // looks like JSON but is not: shown as text
  }
}

export function preview(b: Bytes | null, max = 120): string {
  if (b === null) return "null";
  if (b.encoding === "base64") return `<${toUint8(b).length} bytes binary>`;
  const one = b.data.replace(/\s+/g, " ");
  return one.length > max ? `${one.slice(0, max)}…` : one;
}
