/**
 * Runs the Tributary broker alone in this process so the load generator doesn't share its event
 * loop. Usage: tributary-server.ts <dataDir> <port>. Prints one JSON line {"ready":true} on stdout
 * once the Kafka listener accepts connections; stops the broker cleanly on SIGTERM (which also lets
 * --cpu-prof write its profile).
 */
import { Broker } from "@/server/broker/broker";
import { closeOnSigterm } from "@/server/testing/broker-process";

const [dataDir, portArg] = process.argv.slice(2);
if (!dataDir || !portArg) {
  process.stderr.write("usage: tributary-server.ts <dataDir> <port>\n");
  process.exit(2);
}

const broker = await Broker.start({ dataDir, host: "127.0.0.1", port: Number(portArg) });
process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid })}\n`);

closeOnSigterm(broker);
