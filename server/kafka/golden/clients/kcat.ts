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

function kcatScenarios(): Scenario[] {
  const topic = (ctx: RunContext) => `${ctx.prefix}-kcat`;
  return [
    { name: "metadata (-L)", run: async (ctx) => void (await kcat(ctx, ["-L", "-J"])) },
    ...CODECS.map((codec) => ({
      name: `produce ${codec}`,
      run: async (ctx: RunContext) => void (await kcat(ctx, ["-P", "-t", codec === "none" ? topic(ctx) : `${topic(ctx)}-${codec}`, "-p", "0", "-z", codec, "-K", ":", "-H", "h=1"], KEYED_LINES)),
    })),
    { name: "produce acks=0", run: async (ctx) => void (await kcat(ctx, ["-P", "-t", `${topic(ctx)}-acks0`, "-X", "acks=0"], "fire\n")) },
    { name: "idempotent produce", run: async (ctx) => void (await kcat(ctx, ["-P", "-t", `${topic(ctx)}-idem`, "-X", "enable.idempotence=true"], "once\n")) },
    { name: "consume from the beginning", run: async (ctx) => void (await kcat(ctx, ["-C", "-t", topic(ctx), "-p", "0", "-o", "beginning", "-e"])) },
    { name: "consume in a group (-G)", run: async (ctx) => void (await kcat(ctx, ["-G", `${ctx.prefix}-kcat-group`, "-X", "auto.offset.reset=earliest", "-e", topic(ctx)])) },
    { name: "offsets by time (-Q)", run: async (ctx) => void (await kcat(ctx, ["-Q", "-t", `${topic(ctx)}:0:${Date.now() - 60_000}`])) },
    ...saslScenarios(async (ctx) => void (await kcat(ctx, ["-L", "-J"]))),
  ];
}

export function kcatClient(): Client {
  return { name: `librdkafka ${librdkafkaVersion()}`, scenarios: kcatScenarios() };
}

