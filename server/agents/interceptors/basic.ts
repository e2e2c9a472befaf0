import { hostname } from "node:os";
import { z } from "zod";
import { type Interceptor, defineComponent } from "../component";

export const timestampInterceptorSchema = z.object({
  type: z.literal("timestamp"),
  headerName: z.string().default("timestamp").describe("Header receiving the time in epoch milliseconds."),
  preserveExisting: z.boolean().default(false).describe("Keep a header that is already set."),
}).describe("Sets a header to the time the event passed (epoch milliseconds), which file_roll's escapes use.");

export const hostInterceptorSchema = z.object({
  type: z.literal("host"),
  hostHeader: z.string().default("host").describe("Header receiving the host name."),
  preserveExisting: z.boolean().default(false).describe("Keep a header that is already set."),
}).describe("Sets a header to this agent's host name.");

export const staticInterceptorSchema = z.object({
  type: z.literal("static"),
  key: z.string().default("key").describe("Header name."),
  value: z.string().default("value").describe("Header value."),
  preserveExisting: z.boolean().default(true).describe("Keep a header that is already set."),
}).describe("Sets a fixed header on every event.");

export const removeHeaderInterceptorSchema = z.object({
  type: z.literal("remove_header"),
  withName: z.string().optional().describe("Header to remove."),
  fromList: z.string().optional().describe("Headers to remove, separated by fromListSeparator."),
  fromListSeparator: z.string().default("\\s*,\\s*").describe("Regular expression separating fromList."),
  matching: z.string().optional().describe("Remove every header whose name matches this regular expression."),
}).describe("Removes headers by name, by list or by pattern.");

/** Sets one header on every event; the header is computed once per batch, not per event. */
function setHeader(key: string, value: () => string, preserveExisting: boolean): Interceptor {
  return {
    intercept(events) {
      const v = value();
      for (const e of events) if (!preserveExisting || !(key in e.headers)) e.headers[key] = v;
      return events;
    },
  };
}

export const timestampInterceptor = (c: z.infer<typeof timestampInterceptorSchema>) => setHeader(c.headerName, () => String(Date.now()), c.preserveExisting);
export const hostInterceptor = (c: z.infer<typeof hostInterceptorSchema>) => {
  const h = hostname();
  return setHeader(c.hostHeader, () => h, c.preserveExisting);
};
export const staticInterceptor = (c: z.infer<typeof staticInterceptorSchema>) => setHeader(c.key, () => c.value, c.preserveExisting);

export function removeHeaderInterceptor(c: z.infer<typeof removeHeaderInterceptorSchema>): Interceptor {
  const names = new Set<string>([...(c.withName ? [c.withName] : []), ...(c.fromList ? c.fromList.split(new RegExp(c.fromListSeparator)) : [])]);
  const re = c.matching ? new RegExp(c.matching) : null;
  return {
    intercept(events) {
      for (const e of events) for (const k of Object.keys(e.headers)) if (names.has(k) || re?.test(k)) delete e.headers[k];
      return events;
    },
  };
}

export const timestampInterceptorType = defineComponent({ types: ["timestamp", "org.apache.flume.interceptor.TimestampInterceptor$Builder"], schema: timestampInterceptorSchema, create: timestampInterceptor });

export const hostInterceptorType = defineComponent({ types: ["host", "org.apache.flume.interceptor.HostInterceptor$Builder"], schema: hostInterceptorSchema, create: hostInterceptor });

export const staticInterceptorType = defineComponent({ types: ["static", "org.apache.flume.interceptor.StaticInterceptor$Builder"], schema: staticInterceptorSchema, create: staticInterceptor });

export const removeHeaderInterceptorType = defineComponent({ types: ["remove_header", "org.apache.flume.interceptor.RemoveHeaderInterceptor$Builder"], schema: removeHeaderInterceptorSchema, create: removeHeaderInterceptor });
