"use client";
import { useState } from "react";
import { SECRET_PLACEHOLDER, type SecretKind } from "@/server/agents/secret";
import { Options } from "@/components/ui";

/** The part of JSON Schema that zod's toJSONSchema emits for our component configs. */
export interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  minItems?: number;
  /** Set on properties that hold a secret (see server/agents/secret.ts). */
  secret?: SecretKind;
}

/** What a secret field says about the value the console keeps but never shows. */
const SECRET_NOTES: Record<SecretKind, string> = {
  value: "A value is stored and not shown; type a new one to replace it.",
  url: `The password is not shown; leave ${SECRET_PLACEHOLDER} to keep the stored one.`,
  values: `Values are not shown; leave ${SECRET_PLACEHOLDER} to keep a stored one.`,
};

const holdsStoredSecret = (value: unknown): boolean =>
  typeof value === "string" ? value.includes(SECRET_PLACEHOLDER) : typeof value === "object" && value !== null && Object.values(value).includes(SECRET_PLACEHOLDER);

/** Properties the canvas sets through edges, not through the form (a sink group's "selector" is its processor's own setting). */
export const GRAPH_KEYS: ReadonlySet<string> = new Set(["type", "channels", "channel", "interceptors", "selector"]);

type Field =
  | { kind: "text" | "number" | "integer" | "boolean" | "list" }
  | { kind: "choice"; options: unknown[] }
  | { kind: "map"; values: "text" | "list" | "number" };

function fieldOf(s: JsonSchema): Field {
  const alts = s.anyOf ?? s.oneOf;
  if (alts && alts.every((a) => a.const !== undefined)) return { kind: "choice", options: alts.map((a) => a.const) };
  if (s.enum) return { kind: "choice", options: s.enum };
  if (s.type === "boolean") return { kind: "boolean" };
  if (s.type === "integer") return { kind: "integer" };
  if (s.type === "number") return { kind: "number" };
  if (s.type === "array") return { kind: "list" };
  if (s.type === "object") {
    const v = typeof s.additionalProperties === "object" ? s.additionalProperties.type : undefined;
    return { kind: "map", values: v === "array" ? "list" : v === "integer" || v === "number" ? "number" : "text" };
  }
  return { kind: "text" };
}

/** What the user typed, as the property value; undefined means "unset, use the default". */
function parse(field: Field, text: string): { value: unknown; error?: string } {
  if (text.trim() === "") return { value: undefined };
  switch (field.kind) {
    case "integer":
    case "number": {
      const n = Number(text);
      if (!Number.isFinite(n)) return { value: text, error: "enter a number" };
      if (field.kind === "integer" && !Number.isInteger(n)) return { value: text, error: "enter a whole number" };
      return { value: n };
    }
    case "list":
      return { value: text.split(/[\s,]+/).filter(Boolean) };
    case "map": {
      const out: Record<string, unknown> = {};
      for (const line of text.split("\n").filter((l) => l.trim())) {
        const at = line.indexOf("=");
        if (at <= 0) return { value: text, error: `write one "name = value" per line ("${line.trim()}" has no "=")` };
        const v = line.slice(at + 1).trim();
        if (field.values === "number" && (v === "" || !Number.isFinite(Number(v)))) return { value: text, error: `"${line.trim()}": the value after "=" must be a number` };
        out[line.slice(0, at).trim()] = field.values === "list" ? v.split(/[\s,]+/).filter(Boolean) : field.values === "number" ? Number(v) : v;
      }
      return { value: out };
    }
    case "choice": {
      const match = field.options.find((o) => String(o) === text);
      return { value: match ?? text };
    }
    default:
      return { value: text };
  }
}

/** A JSON value as text: strings as they are, anything else as JSON. */
const asText = (v: unknown): string => (typeof v === "string" ? v : (JSON.stringify(v) ?? ""));

function show(field: Field, value: unknown): string {
  if (value === undefined || value === null) return "";
  if (field.kind === "list" && Array.isArray(value)) return value.join(", ");
  if (field.kind === "map" && typeof value === "object") {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k} = ${Array.isArray(v) ? v.join(" ") : asText(v)}`)
      .join("\n");
  }
  return asText(value);
}

/**
 * A form generated from a component's JSON Schema: one labelled field per property, the default as
 * placeholder, the description as help, and the server's validation message (by property) under it.
 */
export function SchemaForm({
  schema,
  values,
  errors,
  onChange,
  readOnly,
  omit = GRAPH_KEYS,
}: {
  schema: JsonSchema;
  values: Record<string, unknown>;
  errors: Record<string, string[]>;
  onChange: (next: Record<string, unknown>) => void;
  readOnly?: boolean;
  omit?: ReadonlySet<string>;
}) {
  const props = Object.entries(schema.properties ?? {}).filter(([k]) => !omit.has(k));
  if (props.length === 0) return <p className="muted">This component has no settings.</p>;
  const required = new Set(schema.required ?? []);
  return (
    <div className="schema-form">
      {props.map(([key, s]) => (
        <SchemaField
          key={key}
          name={key}
          schema={s}
          required={required.has(key) && s.default === undefined}
          value={values[key]}
          serverErrors={errors[key] ?? []}
          readOnly={readOnly}
          onChange={(v) => {
            const next = { ...values };
            if (v === undefined) delete next[key];
            else next[key] = v;
            onChange(next);
          }}
        />
      ))}
    </div>
  );
}

function SchemaField({ name, schema, required, value, serverErrors, onChange, readOnly }: { name: string; schema: JsonSchema; required: boolean; value: unknown; serverErrors: string[]; onChange: (v: unknown) => void; readOnly?: boolean }) {
  const field = fieldOf(schema);
  const [text, setText] = useState(show(field, value));
  const [local, setLocal] = useState<string | undefined>();
  // A change from outside (undo, another node selected) replaces what is shown; compared as JSON,
  // since a parent re-render passes an equal value as a new object.
  const valueJson = JSON.stringify(value);
  const [shownJson, setShownJson] = useState(valueJson);
  if (valueJson !== shownJson) {
    setShownJson(valueJson);
    setText(show(field, value));
    setLocal(undefined);
  }
  const id = `field-${name}`;
  const placeholder = schema.default === undefined ? (required ? "required" : "optional") : show(field, schema.default);
  const update = (t: string) => {
    setText(t);
    const r = parse(field, t);
    setLocal(r.error);
    if (!r.error) onChange(r.value);
  };
  const messages = [...(local ? [local] : []), ...serverErrors];
  const secretNote = schema.secret && holdsStoredSecret(value) ? SECRET_NOTES[schema.secret] : undefined;
  return (
    <div className={`field ${messages.length ? "invalid" : ""}`}>
      {field.kind === "boolean" ? (
        <label htmlFor={id} className="check">
          <input id={id} type="checkbox" disabled={readOnly} checked={value === undefined ? Boolean(schema.default) : Boolean(value)} onChange={(e) => onChange(e.target.checked)} />
          {name}
        </label>
      ) : (
        <label htmlFor={id}>
          {name}
          {required && <span className="required" title="required"> *</span>}
        </label>
      )}
      {field.kind === "choice" ? (
        <select id={id} disabled={readOnly} value={text} onChange={(e) => update(e.target.value)}>
          <option value="">{schema.default === undefined ? "(choose)" : `default: ${asText(schema.default)}`}</option>
          <Options values={field.options.map(String)} />
        </select>
      ) : field.kind === "map" ? (
        <textarea id={id} rows={3} readOnly={readOnly} placeholder={placeholder || "name = value, one per line"} value={text} onChange={(e) => update(e.target.value)} />
      ) : field.kind === "boolean" ? null : (
        <input
          id={id}
          readOnly={readOnly}
          type={schema.secret === "value" ? "password" : undefined}
          autoComplete={schema.secret === "value" ? "new-password" : schema.secret ? "off" : undefined}
          inputMode={field.kind === "integer" || field.kind === "number" ? "numeric" : undefined}
          placeholder={placeholder}
          value={text}
          aria-invalid={messages.length > 0}
          onChange={(e) => update(e.target.value)}
        />
      )}
      {secretNote && <small className="help secret-note">{secretNote}</small>}
      {schema.description && <small className="help">{schema.description}</small>}
      {messages.map((m) => (
        <small key={m} className="error-text" role="alert">
          {m}
        </small>
      ))}
    </div>
  );
}
