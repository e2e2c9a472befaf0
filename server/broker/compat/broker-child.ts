/**
 * A broker alone in its own process, for tests that watch it from outside: its memory (RSS), its
 * log lines, and stalls that an in-process client would share. The metrics sampler runs as in
 * `tributary start`. Usage:
 * broker-child.ts <dataDir> [BrokerOptions as JSON]. Prints {"bootstrap": "host:port"} once the
 * listener is up (logs are JSON lines on the same stdout) and stops cleanly on SIGTERM.
 */
import { metrics } from "../../metrics/registry";
import { SeriesSampler } from "../../metrics/series";
import { Broker, type BrokerOptions } from "../broker";
import { closeOnSigterm } from "@/server/testing/broker-process";

const [dataDir, json] = process.argv.slice(2);
const opts = JSON.parse(json ?? "{}") as Partial<BrokerOptions>;
const broker = await Broker.start({ host: "127.0.0.1", port: 0, groupInitialRebalanceDelayMs: 0, ...opts, dataDir });
// Sampled every second, as in `tributary start`: its cost grows with the series clients create.
new SeriesSampler(metrics).start();
process.stdout.write(`${JSON.stringify({ bootstrap: broker.bootstrap })}\n`);
closeOnSigterm(broker);
