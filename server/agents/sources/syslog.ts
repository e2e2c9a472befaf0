import { createSocket, type Socket as UdpSocket } from "node:dgram";
import type { Socket } from "node:net";
import { z } from "zod";
import { logger } from "../../log";
import { type BatchSink, type Source, SourceCounters, defineComponent } from "../component";
import { LineServerSource, type LineServerOptions } from "./line-server";
import { parseSyslog } from "./syslog-parse";

const log = logger("agents.syslog");

const common = {
  channels: z.array(z.string()).min(1),
  host: z.string().default("0.0.0.0").describe("Address to listen on."),
  port: z.number().int().min(0).max(65535).describe("Port to listen on."),
};

export const syslogTcpSourceSchema = z.object({
  type: z.literal("syslogtcp"),
  ...common,
  batchSize: z.number().int().positive().default(100).describe("Most messages put in one transaction."),
}).describe("Syslog over TCP, one message per line (RFC 3164 or 5424), parsed into headers. Stops reading a connection while its channel is full.");

export const syslogUdpSourceSchema = z.object({
  type: z.literal("syslogudp"),
  ...common,
}).describe("Syslog over UDP, one message per datagram (RFC 3164 or 5424). UDP cannot push back: messages arriving while the channel is full are counted in ChannelWriteFail and dropped.");

/** Longest syslog line kept; RFC 5425 receivers must take 2,048 octets and should take 8,192. */
const MAX_LINE_LENGTH = 65_536;

export class SyslogTcpSource extends LineServerSource {
  constructor(private readonly config: z.infer<typeof syslogTcpSourceSchema>, put: BatchSink) {
    super(put);
  }

  protected listenOptions(): LineServerOptions {
    return { host: this.config.host, port: this.config.port, batchSize: this.config.batchSize, maxLineLength: MAX_LINE_LENGTH };
  }

  protected async accept(lines: string[], socket: Socket): Promise<boolean> {
    const batch = lines.filter((l) => l !== "").map((l) => parseSyslog(l));
    if (batch.length === 0) return true;
    return this.putWhileConnected(batch, socket);
  }
}

export class SyslogUdpSource implements Source {
  readonly counters = new SourceCounters();
  private socket: UdpSocket | null = null;
  port = 0;

  constructor(private readonly config: z.infer<typeof syslogUdpSourceSchema>, private readonly put: BatchSink) {}

  async start(): Promise<void> {
    this.socket = createSocket(this.config.host.includes(":") ? "udp6" : "udp4");
    this.socket.on("message", (msg: Buffer) => {
      this.counters.EventReceivedCount++;
      this.put([parseSyslog(msg.toString("utf8").replace(/\r?\n$/, ""))]).then(
        () => this.counters.EventAcceptedCount++,
        (e) => {
          this.counters.ChannelWriteFail++;
          log.warn({ err: e }, "syslog datagram dropped: the channel refused it");
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      this.socket!.once("error", reject);
      this.socket!.bind(this.config.port, this.config.host, () => resolve());
    });
    this.port = this.socket.address().port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.socket ? this.socket.close(() => r()) : r()));
  }
}

export const syslogTcpSourceType = defineComponent({
  types: ["syslogtcp", "org.apache.flume.source.SyslogTcpSource"],
  schema: syslogTcpSourceSchema,
  create: (config, ctx) => new SyslogTcpSource(config, ctx.put),
});

export const syslogUdpSourceType = defineComponent({
  types: ["syslogudp", "org.apache.flume.source.SyslogUDPSource"],
  schema: syslogUdpSourceSchema,
  create: (config, ctx) => new SyslogUdpSource(config, ctx.put),
});
