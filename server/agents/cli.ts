import { readFile } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import { hostname } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { logger } from "../log";
import { ControlClient } from "./control-client";
import { parseFlow } from "./flow";
import { AgentHost } from "./host";
import { importFlumeProperties } from "./flume/import";
import { FlowRuntime } from "./runtime";

const log = logger("agents.cli");

const USAGE = `usage: tributary agent (--flume-conf FILE --name NAME | --config FLOW.json | --control URL --token T [--name NAME]) [--data-dir DIR] [--metrics-port PORT]
  --flume-conf FILE   an Apache Flume agent .properties file (as flume-ng agent -f FILE)
  --name NAME         the agent whose keys to read from the file (as flume-ng agent -n NAME);
                      with --control, the name this agent registers under (default: the host name)
  --config FILE       a flow as JSON
  --control URL       the console to register with (e.g. http://console:3000); runs the flows deployed to this agent
  --token T           the registration token created on the console's Agents page
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
        control: { type: "string" },
        token: { type: "string" },
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
  if (args.control !== undefined) {
    if (!args.token) {
      process.stderr.write(`--control needs --token (create a registration token on the console's Agents page)\n${USAGE}\n`);
      return 2;
    }
    return runControlled({ url: args.control, token: args.token, name: args.name, dataDir: args["data-dir"], metricsPort: args["metrics-port"] });
  }
  if (args["flume-conf"] && !args.name) {
    process.stderr.write(`--flume-conf needs --name (the agent name prefixing the keys)\n${USAGE}\n`);
    return 2;
  }
  if (!args["flume-conf"] && !args.config) {
    process.stderr.write(`one of --flume-conf or --config is required\n${USAGE}\n`);
    return 2;
  }
  const agent = args.name ?? "agent";
  let runtime: FlowRuntime;
  let server: Server | null;
  try {
    const flowInput = await readFlow(args["flume-conf"], args.config, agent);
    parseFlow(flowInput);
    runtime = new FlowRuntime(flowInput, { agent, dataDir: args["data-dir"] });
    await runtime.start();
    server = await serveMetrics(args["metrics-port"], () => runtime.flumeMetrics()).catch(async (e: unknown) => {
      await runtime.stop();
      throw e;
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 1;
  }
  // Listening before saying "running": whoever reads that line may signal at once.
  const signal = shutdownSignal();
  process.stderr.write(`agent ${agent} running flow ${runtime.config.name}\n`);
  log.info({ signal: await signal }, "stopping agent");
  await runtime.stop();
  server?.close();
  return 0;
}

/** The flow to run: a Flume .properties file (whose unsupported keys are reported) or a flow JSON file. */
async function readFlow(flumeConf: string | undefined, config: string | undefined, agent: string): Promise<unknown> {
  const path = (flumeConf ?? config)!;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new Error(`cannot read ${flumeConf ? "--flume-conf" : "--config"} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (flumeConf) {
    const { flow, unsupported } = importFlumeProperties(text, agent);
    for (const u of unsupported) process.stderr.write(`flume config: ${u}\n`);
    return flow;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`--config ${path} is not JSON (${(e as Error).message}); write the flow as JSON, or pass a Flume file with --flume-conf`);
  }
}

/** `--control`: registers with the console and runs whatever it deploys here until SIGINT/SIGTERM. */
async function runControlled(o: { url: string; token: string; name: string | undefined; dataDir: string; metricsPort: string | undefined }): Promise<number> {
  let client: ControlClient;
  const host = new AgentHost({ agent: o.name ?? hostname(), dataDir: o.dataDir });
  try {
    client = new ControlClient(host, { url: o.url, token: o.token, name: host.name, cacheFile: join(o.dataDir, "deployments.json") });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  let server: Server | null = null;
  try {
    // Flume's JSON per flow: {"<flow>": {"SOURCE.r1": {...}, ...}}.
    server = await serveMetrics(o.metricsPort, () => host.metrics());
    await client.start();
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    await client.stop();
    await host.close();
    server?.close();
    return 1;
  }
  const signal = shutdownSignal();
  process.stderr.write(`agent ${client.name} controlled by ${o.url}\n`);
  log.info({ signal: await signal }, "stopping agent");
  await client.stop();
  await host.close();
  server?.close();
  return 0;
}

function shutdownSignal(): Promise<string> {
  return new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
}

async function serveMetrics(port: string | undefined, read: () => unknown): Promise<Server | null> {
  if (port === undefined) return null;
  const server = createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("metrics are at /metrics\n");
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(read()));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => reject(new Error(`cannot serve metrics on --metrics-port ${port}: ${e.code === "EADDRINUSE" ? "another process listens there; pick another port" : e.message}`)));
    server.listen(Number(port), () => resolve());
  });
  const addr = server.address();
  process.stderr.write(`metrics at http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : port}/metrics\n`);
  return server;
}
