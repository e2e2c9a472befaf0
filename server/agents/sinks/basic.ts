import { z } from "zod";
import { logger } from "../../log";
import { defineComponent } from "../component";
import type { FlumeEvent } from "../model";
import { StatelessSink } from "./stateless-sink";

const log = logger("agents.logger-sink");

export const nullSinkSchema = z.object({
  type: z.literal("null"),
  channel: z.string(),
  batchSize: z.number().int().positive().default(100).describe("Most events taken in one transaction."),
}).describe("Discards events; for tests and benchmarks.");

export class NullSink extends StatelessSink {
  async deliver(): Promise<void> {}
}

export const loggerSinkSchema = z.object({
  type: z.literal("logger"),
  channel: z.string(),
  batchSize: z.number().int().positive().default(100).describe("Most events taken in one transaction."),
  maxBytesToLog: z.number().int().positive().default(16).describe("Body bytes shown per event, as in Flume."),
}).describe("Logs each event's headers and the start of its body at info level.");

export class LoggerSink extends StatelessSink {
  constructor(private readonly config: z.infer<typeof loggerSinkSchema>) {
    super(config);
  }
  deliver(events: FlumeEvent[]): Promise<void> {
    for (const e of events) log.info({ headers: e.headers, body: e.body.subarray(0, this.config.maxBytesToLog).toString("utf8") }, "event");
    return Promise.resolve();
  }
}

export const nullSinkType = defineComponent({
  types: ["null", "org.apache.flume.sink.NullSink"],
  schema: nullSinkSchema,
  create: (config) => new NullSink(config),
});

export const loggerSinkType = defineComponent({
  types: ["logger", "org.apache.flume.sink.LoggerSink"],
  schema: loggerSinkSchema,
  create: (config) => new LoggerSink(config),
});
