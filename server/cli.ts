import { parseArgs } from "node:util";
import { buildConsole } from "./build";
import { ConfigError, describeOptions, loadConfig, options, type Config } from "./config";
import { log } from "./log";
import { ensureDataDir, onShutdownSignal, openMigratedDatabase, startAll, startBroker, StartupError, version } from "./main";

const HELP = `tributary ${version} — a Kafka-compatible broker, a Flume-style agent runtime and a web console in one process.

Usage: tributary <command> [flags]

Commands:
  start      run everything: console + API (HTTP), broker (Kafka protocol), embedded agent
  broker     run the broker alone (no console; with --node-id it joins a cluster through --database-url)
  agent      run a standalone agent (see: tributary agent --help)
  migrate    apply database migrations and exit
  build      build the console and the server bundle (start does this when needed)
  help       show this help

Flags (each also read from the environment variable shown; a flag wins over the variable):
${describeOptions()}
  -h, --help       show this help
  -v, --version    print the version

Examples:
  npx tributary start
  TRIBUTARY_HTTP_PORT=8080 npx tributary start --data-dir /var/lib/tributary
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/tributary npx tributary migrate
`;

function parseFlags(argv: string[]): Record<string, string | boolean | undefined> {
  const spec: Record<string, { type: "string" | "boolean"; short?: string }> = {
    help: { type: "boolean", short: "h" },
    version: { type: "boolean", short: "v" },
  };
  for (const o of Object.values(options)) spec[o.flag] = { type: "string" };
  const { values } = parseArgs({ args: argv, options: spec, strict: true, allowPositionals: false });
  return values;
}

function banner(config: Config, httpUrl: string, kafkaBootstrap: string, databaseLocation: string, databaseKind: string): string {
  return [
    "",
    `  Tributary ${version} is running`,
    `  Console          ${httpUrl}`,
    `  Kafka bootstrap  ${kafkaBootstrap}`,
    `  Data dir         ${config.dataDir}`,
    `  Database         ${databaseKind === "pglite" ? "embedded PGlite at " : "Postgres server "}${databaseLocation}`,
    "",
  ].join("\n");
}

async function run(argv: string[]): Promise<number> {
  const [command = "help", ...rest] = argv;
  if (command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === "--version" || command === "-v") {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  if (command === "agent") {
    // A standalone agent has its own flags (Flume's -f/-n among them), so it parses them itself.
    const { runAgentCommand } = await import("./agents/cli");
    return runAgentCommand(rest);
  }
  const flags = parseFlags(rest);
  if (flags.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const config = loadConfig(flags);
  log.level = config.logLevel;

  switch (command) {
    case "start": {
      const running = await startAll(config);
      const { database } = running;
      process.stdout.write(banner(config, running.httpUrl, running.kafkaBootstrap, database.location, database.kind) + "\n");
      onShutdownSignal(running.stop);
      return -1;
    }
    case "broker": {
      ensureDataDir(config.dataDir);
      // A cluster's brokers share the coordination tables: whichever starts first creates them.
      if (config.nodeId !== undefined) await (await openMigratedDatabase(config)).close();
      const broker = await startBroker(config);
      process.stdout.write(`\n  Tributary ${version} broker is running\n  Kafka bootstrap  ${broker.bootstrap}\n  Data dir         ${config.dataDir}\n\n`);
      onShutdownSignal(() => broker.close());
      return -1;
    }
    case "build": {
      await buildConsole();
      return 0;
    }
    case "migrate": {
      ensureDataDir(config.dataDir);
      const database = await openMigratedDatabase(config);
      await database.close();
      process.stdout.write(`migrations applied to ${database.kind} at ${database.location}\n`);
      return 0;
    }
    default:
      process.stderr.write(`tributary: unknown command "${command}"; run "tributary help"\n`);
      return 2;
  }
}

/** Entry point used by bin/tributary.mjs. Returns only for commands that finish; servers keep running. */
export async function main(argv: string[]): Promise<void> {
  try {
    const code = await run(argv);
    if (code >= 0) process.exit(code);
  } catch (err) {
    if (err instanceof StartupError || err instanceof ConfigError) {
      process.stderr.write(`tributary: cannot start: ${err.message}\n`);
      process.exit(1);
    }
    if ((err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`tributary: ${(err as Error).message}; run "tributary help"\n`);
      process.exit(2);
    }
    log.fatal({ err }, "tributary failed");
    process.stderr.write(`tributary: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  }
}
