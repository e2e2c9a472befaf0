import { execFile, execFileSync } from "node:child_process";
import { saslScenarios, type Client, type RunContext, type Scenario } from "./scenario";

function librdkafkaVersion(): string {
  const out = execFileSync("kcat", ["-V"], { encoding: "utf8" });
  const m = /librdkafka ([\d.]+)/.exec(out);
  if (!m) throw new Error(`cannot read the librdkafka version from "kcat -V": ${out}`);
  return m[1];
}

function kcat(ctx: RunContext, args: string[], input?: string): Promise<string> {
  const security = ctx.sasl
    ? ["-X", "security.protocol=SASL_PLAINTEXT", "-X", `sasl.mechanisms=${ctx.sasl.mechanism}`, "-X", `sasl.username=${ctx.sasl.username}`, "-X", `sasl.password=${ctx.sasl.password}`]
    : [];
  const all = ["-b", ctx.bootstrap, "-m", "10", ...security, ...args];
  return new Promise((resolve, reject) => {
    const child = execFile("kcat", all, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kcat ${all.join(" ")}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    child.stdin!.end(input ?? "");
  });
}

const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
const KEYED_LINES = "k1:golden-1\nk2:golden-2\n";

/** A topic of its own with two records, so that a consuming scenario also runs alone (in a one-API-cap run). */
async function withRecords(ctx: RunContext, name: string): Promise<string> {
  const topic = `${ctx.prefix}-kcat-${name}`;
  await kcat(ctx, ["-P", "-t", topic, "-p", "0", "-K", ":"], KEYED_LINES);
  return topic;
}

function kcatScenarios(): Scenario[] {
  return [
    { name: "metadata (-L)", run: async (ctx) => void (await kcat(ctx, ["-L", "-J"])) },
    ...CODECS.map((codec) => ({
      name: `produce ${codec}`,
      run: async (ctx: RunContext) => void (await kcat(ctx, ["-P", "-t", `${ctx.prefix}-kcat-${codec}`, "-p", "0", "-z", codec, "-K", ":", "-H", "h=1"], KEYED_LINES)),
    })),
    { name: "produce acks=0", run: async (ctx) => void (await kcat(ctx, ["-P", "-t", `${ctx.prefix}-kcat-acks0`, "-X", "acks=0"], "fire\n")) },
    { name: "idempotent produce", run: async (ctx) => void (await kcat(ctx, ["-P", "-t", `${ctx.prefix}-kcat-idem`, "-X", "enable.idempotence=true"], "once\n")) },
    { name: "consume from the beginning", run: async (ctx) => void (await kcat(ctx, ["-C", "-t", await withRecords(ctx, "consume"), "-p", "0", "-o", "beginning", "-e"])) },
    { name: "consume in a group (-G)", run: async (ctx) => void (await kcat(ctx, ["-G", `${ctx.prefix}-kcat-group`, "-X", "auto.offset.reset=earliest", "-e", await withRecords(ctx, "group")])) },
    { name: "offsets by time (-Q)", run: async (ctx) => void (await kcat(ctx, ["-Q", "-t", `${await withRecords(ctx, "by-time")}:0:${Date.now() - 60_000}`])) },
    ...saslScenarios(async (ctx) => void (await kcat(ctx, ["-L", "-J"]))),
  ];
}

export function kcatClient(): Client {
  return { name: `librdkafka ${librdkafkaVersion()}`, scenarios: kcatScenarios() };
}

