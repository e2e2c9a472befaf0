import type { Socket } from "node:net";
import { z } from "zod";
import { type BatchSink, defineComponent } from "../component";
import type { FlumeEvent } from "../model";
import { LineServerSource, type LineServerOptions } from "./line-server";

export const netcatSourceSchema = z.object({
  type: z.literal("netcat"),
  channels: z.array(z.string()).min(1),
  bind: z.string().default("0.0.0.0").describe("Address to listen on."),
  port: z.number().int().min(0).max(65535).describe("TCP port to listen on."),
  "ack-every-event": z.boolean().default(true).describe("Reply OK to every accepted line, as Flume does."),
  "max-line-length": z.number().int().positive().default(512).describe("Longer lines are truncated, as in Flume."),
  batchSize: z.number().int().positive().default(100).describe("Most lines put into the channels in one transaction."),
}).describe("Accepts newline-separated text over TCP, one event per line.");

export class NetcatSource extends LineServerSource {
  constructor(private readonly config: z.infer<typeof netcatSourceSchema>, put: BatchSink) {
    super(put);
  }

  protected listenOptions(): LineServerOptions {
    return { host: this.config.bind, port: this.config.port, batchSize: this.config.batchSize, maxLineLength: this.config["max-line-length"] };
  }

  protected async accept(lines: string[], socket: Socket): Promise<boolean> {
    const max = this.config["max-line-length"];
    const batch: FlumeEvent[] = lines.map((l) => ({ headers: {}, body: Buffer.from(l).subarray(0, max) }));
    if (!(await this.putWhileConnected(batch, socket))) return false;
    if (this.config["ack-every-event"] && !socket.destroyed) socket.write("OK\n".repeat(batch.length));
    return true;
  }
}

export const netcatSourceType = defineComponent({
  types: ["netcat", "org.apache.flume.source.NetcatSource"],
  schema: netcatSourceSchema,
  create: (config, ctx) => new NetcatSource(config, ctx.put),
});
