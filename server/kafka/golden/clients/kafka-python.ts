import { execFile, execFileSync } from "node:child_process";
import { join } from "node:path";
import { SASL_USER, saslScenarios, type Client, type RunContext } from "./scenario";

// Debian's python3-kafka is installed for the system Python, not for another python3 on the PATH.
const PYTHON = "/usr/bin/python3";
const KAFKA_PYTHON_SCRIPT = join(import.meta.dirname, "kafka_python.py");

function kafkaPythonVersion(): string {
  try {
    return execFileSync(PYTHON, ["-c", "import kafka; print(kafka.__version__)"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("kafka-python is missing: install it with apt-get install python3-kafka (the capture runs it as one of its clients)");
  }
}

function kafkaPython(scenario: string, ctx: RunContext): Promise<void> {
  const sasl = ctx.sasl ? [ctx.sasl.mechanism, ctx.sasl.username, ctx.sasl.password] : [];
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [KAFKA_PYTHON_SCRIPT, scenario, ctx.bootstrap, ctx.prefix, ...sasl], { timeout: 40_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`kafka-python ${scenario}: ${stderr.trim().split("\n").pop() ?? err.message}`));
      else resolve();
    });
  });
}

export function kafkaPythonClient(): Client {
  return {
    name: `kafka-python ${kafkaPythonVersion()}`,
    scenarios: [
      ...["admin", "produce and consume in a group"].map((name) => ({ name, run: (ctx: RunContext) => kafkaPython(name, ctx) })),
      { name: "acls", sasl: { mechanism: "SCRAM-SHA-256", ...SASL_USER }, run: (ctx: RunContext) => kafkaPython("acls", ctx) },
      ...saslScenarios((ctx) => kafkaPython("metadata", ctx)),
    ],
  };
}
