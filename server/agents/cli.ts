import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { logger } from "../log";
import { parseFlow } from "./flow";
import { importFlumeProperties } from "./flume/import";
import { FlowRuntime } from "./runtime";

const log = logger("agents.cli");

const USAGE = `usage: tributary agent (--flume-conf FILE --name NAME | --config FLOW.json) [--data-dir DIR] [--metrics-port PORT]
  --flume-conf FILE   an Apache Flume agent .properties file (as flume-ng agent -f FILE)
  --name NAME         the agent whose keys to read from the file (as flume-ng agent -n NAME)
  --config FILE       a flow as JSON
  --data-dir DIR      where file channels without dataDir keep their logs (default ./data/agent)
  --metrics-port P    serve Flume-style JSON metrics at http://0.0.0.0:P/metrics`;

/** `tributary agent …`: runs one flow until SIGINT/SIGTERM; returns the process exit code. */
export async function runAgentCommand(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        "flume-conf": { type: "string", short: "f" },
        name: { type: "string", short: "n" },
        config: { type: "string" },
        "data-dir": { type: "string", default: join("data", "agent") },
        "metrics-port": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let flowInput: unknown;
  let agent: string;
  if (args["flume-conf"]) {
    if (!args.name) {
      process.stderr.write(`--flume-conf needs --name (the agent name prefixing the keys)\n${USAGE}\n`);
      return 2;
    }
    agent = args.name;
    const { flow, unsupported } = importFlumeProperties(await readFile(args["flume-conf"], "utf8"), agent);
    for (const u of unsupported) process.stderr.write(`flume config: ${u}\n`);
    flowInput = flow;
  } else if (args.config) {
    flowInput = JSON.parse(await readFile(args.config, "utf8"));
    agent = args.name ?? "agent";
  } else {
    process.stderr.write(`one of --flume-conf or --config is required\n${USAGE}\n`);
    return 2;
  }
  let runtime: FlowRuntime;
  try {
    parseFlow(flowInput);
    runtime = new FlowRuntime(flowInput, { agent, dataDir: args["data-dir"]! });
    await runtime.start();
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 1;
  }
  let server: ReturnType<typeof createServer> | null = null;
  if (args["metrics-port"] !== undefined) {
    server = createServer((req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(runtime.flumeMetrics()));
    });
    await new Promise<void>((r) => server!.listen(Number(args["metrics-port"]), () => r()));
    const addr = server.address();
    process.stderr.write(`metrics at http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : args["metrics-port"]}/metrics\n`);
  }
  process.stderr.write(`agent ${agent} running flow ${runtime.config.name}\n`);
  const signal = await new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  log.info({ signal }, "stopping agent");
  await runtime.stop();
  server?.close();
  return 0;
}
