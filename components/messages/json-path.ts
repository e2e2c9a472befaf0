/** A path into a JSON document as JSONata writes it, so a copied path pastes into the JSONata filter. */
export type PathPart = string | number;

const PLAIN = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function jsonataPath(parts: PathPart[]): string {
  if (parts.length === 0) return "$";
  return parts
    .map((p, i) => (typeof p === "number" ? `[${p}]` : PLAIN.test(p) ? `${i === 0 ? "" : "."}${p}` : `${i === 0 ? "" : "."}\`${p.replaceAll("`", "\\`")}\``))
    .join("");
}
