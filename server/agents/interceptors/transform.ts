import jsonata from "jsonata";
import { z } from "zod";
import { logger } from "../../log";
import { type Interceptor, defineComponent } from "../component";
import type { FlumeEvent } from "../model";

const log = logger("agents.transform");

const expression = z.string().min(1).superRefine((src, ctx) => {
  try {
    jsonata(src);
  } catch (e) {
    ctx.addIssue({ code: "custom", message: `not a JSONata expression: ${(e as Error).message}` });
  }
});

export const transformInterceptorSchema = z.object({
  type: z.literal("transform"),
  expression: expression.optional().describe("JSONata evaluated on each event's JSON body, with $headers bound to its headers. The result becomes the body; no result, false or null drops the event (a filter). Leave out to change headers only."),
  headers: z.record(z.string(), expression).default({}).describe("Header name → JSONata expression (same input and $headers) whose result is set as the header; no result leaves the header as it was."),
  onError: z.enum(["keep", "drop"]).default("keep").describe("What happens to an event whose body is not JSON or whose evaluation fails: keep it unchanged or drop it."),
}).describe("Filters, reshapes and enriches JSON bodies with JSONata (jsonata.org), e.g. expression `status >= 500 ? $merge([$, {\"severity\": \"high\"}])` keeps server errors and adds a field.");

/** Text results stay text; anything else is written as JSON. */
function encode(v: unknown): Buffer {
  return Buffer.from(typeof v === "string" ? v : JSON.stringify(v));
}

export function transformInterceptor(c: z.infer<typeof transformInterceptorSchema>): Interceptor {
  const body = c.expression === undefined ? null : jsonata(c.expression);
  const headers = Object.entries(c.headers).map(([name, src]) => [name, jsonata(src)] as const);
  return {
    async intercept(events) {
      const out: FlumeEvent[] = [];
      let failed = 0;
      let firstError: string | undefined;
      for (const e of events) {
        try {
          const input: unknown = JSON.parse(e.body.toString("utf8"));
          const bindings = { headers: e.headers };
          for (const [name, expr] of headers) {
            const v: unknown = await expr.evaluate(input, bindings);
            if (v !== undefined && v !== null) e.headers[name] = typeof v === "string" ? v : JSON.stringify(v);
          }
          if (body === null) {
            out.push(e);
            continue;
          }
          const result: unknown = await body.evaluate(input, bindings);
          if (result === undefined || result === null || result === false) continue;
          out.push({ headers: e.headers, body: encode(result) });
        } catch (err) {
          failed++;
          firstError ??= (err as Error).message;
          if (c.onError === "keep") out.push(e);
        }
      }
      // One line per batch, not per event, so a stream of bad bodies cannot flood the log.
      if (failed > 0) log.warn({ failed, batch: events.length, onError: c.onError, firstError }, "transform could not evaluate some events");
      return out;
    },
  };
}

export const transformInterceptorType = defineComponent({
  types: ["transform"],
  schema: transformInterceptorSchema,
  create: (config) => transformInterceptor(config),
});
