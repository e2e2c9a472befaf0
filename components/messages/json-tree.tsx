"use client";
import { useState, type ReactNode } from "react";
import { jsonataPath, type PathPart } from "./json-path";
// With the component, so every page that shows a tree (records, the audit trail) gets its styles.
import "./json-tree.css";

/** Objects and arrays deeper than this start folded, so a large document opens readable. */
const OPEN_DEPTH = 5;

function CopyPath({ path }: { path: PathPart[] }) {
  const [copied, setCopied] = useState(false);
  const text = jsonataPath(path);
  return (
    <button
      type="button"
      className="copy-path link"
      title={`Copy the path ${text} (JSONata)`}
      aria-label={`Copy path ${text}`}
      onClick={() => void navigator.clipboard.writeText(text).then(() => setCopied(true), () => setCopied(false))}
    >
      {copied ? "copied" : "path"}
    </button>
  );
}

function Scalar({ v }: { v: unknown }) {
  const kind = v === null ? "null" : typeof v;
  return <span className={`json-${kind}`}>{JSON.stringify(v)}</span>;
}

function Node({ name, value, path, last }: { name: ReactNode; value: unknown; path: PathPart[]; last: boolean }) {
  const comma = last ? "" : ",";
  if (value === null || typeof value !== "object") {
    return (
      <div className="json-line">
        {name}
        <Scalar v={value} />
        {comma} {path.length > 0 && <CopyPath path={path} />}
      </div>
    );
  }
  const entries: [PathPart, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0) {
    return (
      <div className="json-line">
        {name}
        {open}
        {close}
        {comma}
      </div>
    );
  }
  return (
    <details className="json-node" open={path.length < OPEN_DEPTH}>
      <summary>
        {name}
        {open}
        <span className="json-folded muted">
          {" "}
          … {entries.length} {Array.isArray(value) ? "items" : "keys"} {close}
          {comma}
        </span>{" "}
        {path.length > 0 && <CopyPath path={path} />}
      </summary>
      <div className="json-children">
        {entries.map(([k, v], i) => (
          <Node key={String(k)} name={typeof k === "number" ? null : <span className="json-key">{`${JSON.stringify(k)}: `}</span>} value={v} path={[...path, k]} last={i === entries.length - 1} />
        ))}
      </div>
      <div className="json-line json-close">
        {close}
        {comma}
      </div>
    </details>
  );
}

/** A JSON value as a tree: objects and arrays fold, and each value's path copies for a JSONata filter. */
export function JsonTree({ value, label }: { value: unknown; label: string }) {
  return (
    <div className="json-tree mono" role="tree" aria-label={label}>
      <Node name={null} value={value} path={[]} last />
    </div>
  );
}
