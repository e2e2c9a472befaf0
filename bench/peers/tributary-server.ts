/**
 * Runs the Tributary broker alone in this process so the load generator doesn't share its event
 * loop. Usage: tributary-server.ts <dataDir> <port>. Prints one JSON line {"ready":true} on stdout
 * once the Kafka listener accepts connections; stops the broker cleanly on SIGTERM (which also lets
 * --cpu-prof write its profile).
 */
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

interface RunningBroker {
  stop?: () => Promise<void>;
  close?: () => Promise<void>;
}

interface BrokerModule {
  Broker?: { start?: (options: { dataDir: string; host: string; port: number }) => Promise<RunningBroker> };
}

const [dataDir, portArg] = process.argv.slice(2);
if (!dataDir || !portArg) {
  process.stderr.write("usage: tributary-server.ts <dataDir> <port>\n");
  process.exit(2);
}

const brokerFile = fileURLToPath(new URL("../../server/broker/broker.ts", import.meta.url));
if (!existsSync(brokerFile)) {
  process.stderr.write("server/broker/broker.ts does not exist yet\n");
  process.exit(3);
}
const mod = (await import(pathToFileURL(brokerFile).href)) as BrokerModule;
if (typeof mod.Broker?.start !== "function") {
  process.stderr.write("server/broker/broker.ts exports no Broker.start({ dataDir, host, port })\n");
  process.exit(3);
}

const broker = await mod.Broker.start({ dataDir, host: "127.0.0.1", port: Number(portArg) });
process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid })}\n`);

process.once("SIGTERM", () => {
  const stop = broker.stop ?? broker.close;
  Promise.resolve(stop?.call(broker)).then(
    () => process.exit(0),
    (err: Error) => {
      process.stderr.write(`broker stop failed: ${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
});
