import { type ChildProcess, spawn } from "node:child_process";
import { z } from "zod";
import { logger } from "../../log";
import { type BatchSink, defineComponent } from "../component";
import { LoopSource } from "./loop-source";
import { putWithBackoff } from "./put-with-backoff";
import type { FlumeEvent } from "../model";

const log = logger("agents.exec");

export const execSourceSchema = z.object({
  type: z.literal("exec"),
  channels: z.array(z.string()).min(1),
  command: z.string().min(1).describe("Command whose standard output lines become events, e.g. tail -F /var/log/app.log."),
  shell: z.string().default("/bin/sh -c").describe("Shell the command runs in; its words come before the command."),
  restart: z.boolean().default(false).describe("Run the command again when it exits."),
  restartThrottle: z.number().int().nonnegative().default(10_000).describe("Milliseconds to wait before running it again."),
  logStdErr: z.boolean().default(false).describe("Log the command's standard error lines."),
  batchSize: z.number().int().positive().default(20).describe("Most lines put in one transaction."),
  batchTimeout: z.number().int().positive().default(3000).describe("Milliseconds a partial batch waits for more lines before it is put."),
}).describe("Runs a command and turns each line it prints into an event. While the channel is full the command's output is not read, so it blocks rather than loses lines; lines the command printed before the agent died are lost, as in Flume.");

export class ExecSource extends LoopSource {
  private child: ChildProcess | null = null;
  /** Times the command was started, for status and tests. */
  runs = 0;
  lastError: string | null = null;

  constructor(private readonly config: z.infer<typeof execSourceSchema>, private readonly put: BatchSink) {
    super();
  }

  override async stop(): Promise<void> {
    const stopped = super.stop();
    // The loop waits for the command's exit; `running` is already clear, so it will not restart it.
    this.child?.kill("SIGTERM");
    await stopped;
  }

  protected async run(): Promise<void> {
    while (this.running) {
      const code = await this.runOnce();
      log.info({ command: this.config.command, code, restart: this.config.restart }, "command exited");
      if (!this.config.restart) return;
      const until = Date.now() + this.config.restartThrottle;
      while (this.running && Date.now() < until) await new Promise((r) => setTimeout(r, Math.min(100, until - Date.now())));
    }
  }

  /** Runs the command once, putting its output in batches; resolves with its exit code once every line was put. */
  private runOnce(): Promise<number | null> {
    const [file, ...args] = this.config.shell.split(/\s+/).filter(Boolean);
    this.runs++;
    const child = spawn(file, [...args, this.config.command], { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    let rest = "";
    let batch: FlumeEvent[] = [];
    let timer: NodeJS.Timeout | null = null;
    let chain = Promise.resolve();
    const flush = () => {
      if (timer) clearTimeout(timer);
      timer = null;
      if (batch.length === 0) return;
      const events = batch;
      batch = [];
      // Back-pressure: stdout is paused until the batch is in the channels, so the command blocks on its pipe.
      child.stdout.pause();
      chain = chain.then(() => this.putWithRetry(events)).finally(() => child.stdout.resume());
    };
    child.stdout.on("data", (chunk: Buffer) => {
      const lines = (rest + chunk.toString("utf8")).split("\n");
      rest = lines.pop()!;
      for (const l of lines) {
        batch.push({ headers: {}, body: Buffer.from(l.endsWith("\r") ? l.slice(0, -1) : l) });
        if (batch.length >= this.config.batchSize) flush();
      }
      if (batch.length > 0 && !timer) timer = setTimeout(flush, this.config.batchTimeout);
    });
    let errRest = "";
    child.stderr.on("data", (chunk: Buffer) => {
      if (!this.config.logStdErr) return;
      const lines = (errRest + chunk.toString("utf8")).split("\n");
      errRest = lines.pop()!;
      for (const l of lines) log.info({ command: this.config.command, stderr: l }, "command stderr");
    });
    return new Promise((resolve) => {
      child.on("error", (e) => {
        this.lastError = `cannot run ${this.config.shell} ${this.config.command}: ${e.message}; check command and shell`;
        log.error({ err: e, command: this.config.command }, "cannot run the command; check command and shell");
      });
      child.on("spawn", () => (this.lastError = null));
      child.on("close", (code) => {
        if (rest !== "") batch.push({ headers: {}, body: Buffer.from(rest) });
        flush();
        void chain.then(() => resolve(code));
      });
    });
  }

  private async putWithRetry(events: FlumeEvent[]): Promise<void> {
    if (await putWithBackoff(this.put, events, this.counters, () => this.running)) return;
    log.warn({ lost: events.length, command: this.config.command }, "agent stopping with a batch the channel refused; its lines are lost, as with Flume's exec source");
  }
}

export const execSourceType = defineComponent({
  types: ["exec", "org.apache.flume.source.ExecSource"],
  schema: execSourceSchema,
  create: (config, ctx) => new ExecSource(config, ctx.put),
});
