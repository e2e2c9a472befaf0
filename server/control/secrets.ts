import type { z } from "zod";
import { channelTypes, interceptorTypes, lookup, sinkTypes, sourceTypes } from "../agents/registry";
import { looksLikeCredential, SECRET_PLACEHOLDER, secretKindOf, type SecretKind } from "../agents/secret";
import type { FlowIssue } from "./flows";

/**
 * Secrets in flow definitions: the console shows every reader, whatever their role, a definition
 * with its secrets replaced by SECRET_PLACEHOLDER, and a definition saved with the placeholder
 * still in it keeps the secret of the version it was based on. Agents get the stored definitions
 * unchanged (desiredDeployments), so they run with the real values.
 */

type Props = Record<string, unknown>;
type Path = (string | number)[];

const isProps = (v: unknown): v is Props => typeof v === "object" && v !== null && !Array.isArray(v);

const KINDS: [string, (type: string) => z.ZodObject | undefined][] = [
  ["sources", (t) => lookup(sourceTypes, t)?.schema],
  ["channels", (t) => lookup(channelTypes, t)?.schema],
  ["sinks", (t) => lookup(sinkTypes, t)?.schema],
];

/** Applies `fn` to every component of a definition (interceptors too), given its schema when the type is known. */
function mapComponents(def: unknown, fn: (props: Props, schema: z.ZodObject | undefined, path: Path) => Props): unknown {
  if (!isProps(def)) return def;
  const out: Props = { ...def };
  for (const [kind, schemaOf] of KINDS) {
    const group = def[kind];
    if (!isProps(group)) continue;
    out[kind] = Object.fromEntries(
      Object.entries(group).map(([name, c]) => {
        if (!isProps(c)) return [name, c];
        const next = fn(c, schemaOf(String(c.type)), [kind, name]);
        if (Array.isArray(c.interceptors)) {
          next.interceptors = c.interceptors.map((ic: unknown, i) => (isProps(ic) ? fn(ic, lookup(interceptorTypes, String(ic.type))?.schema, [kind, name, "interceptors", i]) : ic));
        }
        return [name, next];
      }),
    );
  }
  return out;
}

/** How a property keeps a secret: marked in its schema, or named like a credential. */
function kindOf(schema: z.ZodObject | undefined, key: string): SecretKind | undefined {
  return secretKindOf(schema?.shape[key] as z.ZodType | undefined) ?? (looksLikeCredential(key) ? "value" : undefined);
}

const USERINFO = ":password";

/** The secret parts of a URL by where they sit: its password, and credential-named query parameters (?password=…). */
function urlSecrets(u: URL): Map<string, string> {
  const parts = new Map<string, string>();
  if (u.password) parts.set(USERINFO, u.password);
  for (const [k, v] of u.searchParams) if (v && looksLikeCredential(k)) parts.set(k, v);
  return parts;
}

function setUrlSecret(u: URL, where: string, value: string): void {
  if (where === USERINFO) u.password = value;
  else u.searchParams.set(where, value);
}

function hide(kind: SecretKind, value: unknown): unknown {
  if (value === undefined || value === null || value === "") return value;
  if (kind === "values" && isProps(value)) return Object.fromEntries(Object.keys(value).map((k) => [k, SECRET_PLACEHOLDER]));
  if (kind === "url" && typeof value === "string") {
    // A URL that does not parse could hide its password anywhere: hide it whole.
    if (!URL.canParse(value)) return SECRET_PLACEHOLDER;
    const u = new URL(value);
    for (const where of urlSecrets(u).keys()) setUrlSecret(u, where, SECRET_PLACEHOLDER);
    return u.toString();
  }
  return typeof value === "boolean" ? value : SECRET_PLACEHOLDER;
}

/** A definition as every reader sees it: each secret replaced by the placeholder. */
export function redactFlow(def: unknown): unknown {
  return mapComponents(def, (props, schema) => {
    const out: Props = { ...props };
    for (const [key, value] of Object.entries(props)) {
      const kind = kindOf(schema, key);
      if (kind) out[key] = hide(kind, value);
    }
    return out;
  });
}

/** The component at `path` in a definition, if it is there. */
function at(def: unknown, path: Path): Props | undefined {
  let v: unknown = def;
  for (const p of path) v = isProps(v) || Array.isArray(v) ? (v as Record<string | number, unknown>)[p] : undefined;
  return isProps(v) ? v : undefined;
}

const sameAccount = (a: URL, b: URL) => a.protocol === b.protocol && a.username === b.username && a.host === b.host;

/** The value to store for one property: the new value, with placeholders filled from the base version's. */
function reveal(kind: SecretKind, value: unknown, stored: unknown, path: Path, issues: FlowIssue[]): unknown {
  const missing = (message: string) => {
    issues.push({ path, message });
    return value;
  };
  if (kind === "values" && isProps(value)) {
    const out: Props = { ...value };
    for (const [k, v] of Object.entries(value)) {
      if (v !== SECRET_PLACEHOLDER) continue;
      const old = isProps(stored) ? stored[k] : undefined;
      if (old === undefined) issues.push({ path: [...path, k], message: "the value is hidden and there is no stored one to keep; type it again" });
      else out[k] = old;
    }
    return out;
  }
  if (kind === "url" && typeof value === "string" && value.includes(SECRET_PLACEHOLDER)) {
    if (!URL.canParse(value)) return value === SECRET_PLACEHOLDER && stored !== undefined ? stored : missing("the URL is hidden; type it again");
    const u = new URL(value);
    const old = typeof stored === "string" && URL.canParse(stored) ? new URL(stored) : undefined;
    // The stored password goes only to the account it was entered for; a new host or user needs it typed again.
    if (!old || !sameAccount(u, old)) return missing("the password is hidden and is kept only for the same user and host; type it again");
    const was = urlSecrets(old);
    for (const [where, v] of urlSecrets(u)) {
      if (v !== SECRET_PLACEHOLDER) continue;
      const kept = was.get(where);
      if (kept === undefined) return missing("the password is hidden and there is no stored one to keep; type it again");
      setUrlSecret(u, where, kept);
    }
    return u.toString();
  }
  if (value !== SECRET_PLACEHOLDER) return value;
  return stored === undefined ? missing("the value is hidden and there is no stored one to keep; type it again") : stored;
}

/**
 * A definition to save: where it still carries the placeholder, the secret of the same property
 * of the same component in `base` (the version it was edited from) is kept. Problems (a
 * placeholder with nothing stored behind it) are added to `issues`, with their paths.
 */
export function restoreSecrets(def: unknown, base: unknown, issues: FlowIssue[]): unknown {
  return mapComponents(def, (props, schema, path) => {
    const stored = at(base, path);
    const out: Props = { ...props };
    for (const [key, value] of Object.entries(props)) {
      const kind = kindOf(schema, key);
      if (kind) out[key] = reveal(kind, value, stored?.[key], [...path, key], issues);
    }
    return out;
  });
}

const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)[^\s@/]+@/gi;
const SETTING_LINE = /^([^\S\n]*([\w.-]+)[^\S\n]*[=:][^\S\n]*)(\S.*)$/gm;

/** Free text (a Flume .properties file being imported): URL passwords and credential-named settings hidden. */
function scrubText(text: string): string {
  return text
    .replace(URL_PASSWORD, `$1${SECRET_PLACEHOLDER}@`)
    .replace(SETTING_LINE, (line, lead: string, key: string) => (looksLikeCredential(key) ? `${lead}${SECRET_PLACEHOLDER}` : line));
}

/**
 * Audit details as stored and as shown: credential-named values hidden at any depth, flow
 * definitions (the input of flows.create and flows.save) redacted as every reader sees them, and
 * secrets in free text scrubbed. Shown rows pass here again, so rows written before a property
 * was marked secret are hidden too.
 */
export function redactDetails(value: unknown, key = ""): unknown {
  if (key === "definition") value = redactFlow(value);
  // A credential is a scalar; an object under a credential-like key (a topic named "tokens") is walked instead.
  else if (looksLikeCredential(key) && (typeof value === "string" || typeof value === "number")) return hide("value", value);
  if (typeof value === "string") return scrubText(value);
  if (Array.isArray(value)) return value.map((v) => redactDetails(v));
  if (isProps(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDetails(v, k)]));
  return value;
}
