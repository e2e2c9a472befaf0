import { parseArgs } from "node:util";
import { buildConsole } from "./build";
import { ConfigError, describeOptions, loadConfig, options, type Config } from "./config";
import { log } from "./log";
import { ensureDataDir, lockDataDirForStart, onShutdownSignal, openMigratedDatabase, startAll, startBroker, StartupError, version, type Running } from "./main";

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

/**
 * The last thing a start prints, so it must carry what a first-time user needs to sign in: the
 * generated admin password again (the first print scrolled away under the build's output).
 */
export function banner(config: Config, running: Omit<Running, "stop">): string {
  const { database } = running;
  return [
    "",
    `  Tributary ${version} is running`,
    `  Console          ${running.httpUrl}`,
    `  Kafka bootstrap  ${running.kafkaBootstrap}`,
    `  Data dir         ${config.dataDir}`,
    `  Database         ${database.kind === "pglite" ? "embedded PGlite at " : "Postgres server "}${database.location}`,
    running.generatedAdminPassword
      ? `  Sign in as       admin / ${running.generatedAdminPassword}  (generated on this first start; change it on the Users page)`
      : `  Sign in as       admin, with the password the first start printed (or set with --admin-password)`,
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
      // A stop requested while starting (the first start builds the console for minutes) ends the
      // start at once and stops what it had started; the signal handler then exits.
      const starting = new AbortController();
      const started = startAll(config, starting.signal);
      onShutdownSignal(() => {
        starting.abort(new StartupError("stopped while starting"));
        return started.then((running) => running.stop(), () => undefined);
      });
      try {
        process.stdout.write(banner(config, await started) + "\n");
      } catch (err) {
        if (!starting.signal.aborted) throw err;
      }
      return -1;
    }
    case "broker": {
      ensureDataDir(config.dataDir);
      const lock = lockDataDirForStart(config.dataDir);
      const broker = await (async () => {
        // A cluster's brokers share the coordination tables: whichever starts first creates them.
        if (config.nodeId !== undefined) await (await openMigratedDatabase(config)).close();
        return startBroker(config);
      })().catch(async (err: unknown) => {
        await lock.stop();
        throw err;
      });
      process.stdout.write(`\n  Tributary ${version} broker is running\n  Kafka bootstrap  ${broker.bootstrap}\n  Data dir         ${config.dataDir}\n\n`);
      onShutdownSignal(() => broker.close().finally(() => lock.stop()));
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
    process.stderr.write(`tributary: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  }
}
