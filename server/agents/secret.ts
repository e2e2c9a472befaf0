import { z } from "zod";

/**
 * How a component property holds a secret:
 * - `value`: the whole value (a token, a password);
 * - `url`: the password inside a URL (user, host and database stay readable);
 * - `values`: every value of a string map (request headers such as Authorization).
 */
export type SecretKind = "value" | "url" | "values";

/** What a reader sees instead of a secret; saving it back keeps the stored secret. */
export const SECRET_PLACEHOLDER = "********";

/**
 * Marks a property of a component's schema as secret. The mark is zod metadata, so the JSON
 * Schema the designer gets carries it (`"secret": "value"`) and the console's redaction finds it.
 */
export function secret<T extends z.ZodType>(schema: T, kind: SecretKind = "value"): T {
  return schema.meta({ secret: kind });
}

/** Names people give credentials; such a property is secret even when no schema marks it. */
const CREDENTIAL_NAME = /passw(or)?d|secret|token|credential|jaas|api[-_.]?key|private[-_.]?key|auth(orization)?$/i;

export function looksLikeCredential(name: string): boolean {
  return CREDENTIAL_NAME.test(name);
}

/** The secret mark on a property's schema, looking through optional(), default() and the like. */
export function secretKindOf(schema: z.ZodType | undefined): SecretKind | undefined {
  for (let s = schema; s; ) {
    const kind = (z.globalRegistry.get(s) as { secret?: SecretKind } | undefined)?.secret;
    if (kind) return kind;
    s = s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable ? (s.unwrap() as z.ZodType) : undefined;
  }
  return undefined;
}
