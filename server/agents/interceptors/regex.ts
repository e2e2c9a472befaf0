import { randomUUID } from "node:crypto";
import { z } from "zod";
import { type Interceptor, defineComponent } from "../component";

export const regexFilterInterceptorSchema = z.object({
  type: z.literal("regex_filter"),
  regex: z.string().default(".*").describe("Regular expression matched against the body as UTF-8 text."),
  excludeEvents: z.boolean().default(false).describe("Drop matching events instead of keeping only them."),
}).describe("Keeps only events whose body matches (or, with excludeEvents, does not match) a regular expression.");

export const regexExtractorInterceptorSchema = z.object({
  type: z.literal("regex_extractor"),
  regex: z.string().describe("Regular expression whose capture groups become headers."),
  headers: z.array(z.string()).min(1).describe("Header names for capture groups 1, 2, … (Flume: serializers)."),
}).describe("Copies a regular expression's capture groups from the body into headers.");

export const searchReplaceInterceptorSchema = z.object({
  type: z.literal("search_replace"),
  searchPattern: z.string().describe("Regular expression searched for in the body."),
  replaceString: z.string().default("").describe("Replacement; $1 … refer to groups."),
}).describe("Rewrites bodies by regular expression search and replace.");

export const uuidInterceptorSchema = z.object({
  type: z.literal("uuid"),
  headerName: z.string().default("id").describe("Header receiving a random UUID."),
  preserveExisting: z.boolean().default(true).describe("Keep a header that is already set."),
}).describe("Sets a header to a random UUID, e.g. for downstream de-duplication.");

export function regexFilterInterceptor(c: z.infer<typeof regexFilterInterceptorSchema>): Interceptor {
  const re = new RegExp(c.regex);
  return { intercept: (events) => events.filter((e) => re.test(e.body.toString("utf8")) !== c.excludeEvents) };
}

export function regexExtractorInterceptor(c: z.infer<typeof regexExtractorInterceptorSchema>): Interceptor {
  const re = new RegExp(c.regex);
  return {
    intercept(events) {
      for (const e of events) {
        const m = re.exec(e.body.toString("utf8"));
        if (m) c.headers.forEach((h, i) => m[i + 1] !== undefined && (e.headers[h] = m[i + 1]!));
      }
      return events;
    },
  };
}

export function searchReplaceInterceptor(c: z.infer<typeof searchReplaceInterceptorSchema>): Interceptor {
  const re = new RegExp(c.searchPattern, "g");
  return {
    intercept(events) {
      for (const e of events) e.body = Buffer.from(e.body.toString("utf8").replace(re, c.replaceString));
      return events;
    },
  };
}

export function uuidInterceptor(c: z.infer<typeof uuidInterceptorSchema>): Interceptor {
  return {
    intercept(events) {
      for (const e of events) if (!c.preserveExisting || !(c.headerName in e.headers)) e.headers[c.headerName] = randomUUID();
      return events;
    },
  };
}

export const regexFilterInterceptorType = defineComponent({ types: ["regex_filter", "org.apache.flume.interceptor.RegexFilteringInterceptor$Builder"], schema: regexFilterInterceptorSchema, create: regexFilterInterceptor });

export const regexExtractorInterceptorType = defineComponent({ types: ["regex_extractor", "org.apache.flume.interceptor.RegexExtractorInterceptor$Builder"], schema: regexExtractorInterceptorSchema, create: regexExtractorInterceptor });

export const searchReplaceInterceptorType = defineComponent({ types: ["search_replace", "org.apache.flume.interceptor.SearchAndReplaceInterceptor$Builder"], schema: searchReplaceInterceptorSchema, create: searchReplaceInterceptor });

export const uuidInterceptorType = defineComponent({ types: ["uuid", "org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder"], schema: uuidInterceptorSchema, create: uuidInterceptor });
