/**
 * Captures golden frames: starts a broker (and one with SASL users), puts a recording proxy in
 * front of each, and runs real clients through them: once with the broker's own ApiVersions
 * answer, once per version cap on every API, then with one API at a time capped at the versions a
 * client has not been seen to complete (a client that cannot run with every API that low may
 * still speak this one API that low). Writes server/kafka/golden/fixtures/ and the coverage table
 * in docs/kafka-compatibility.md.
 *
 *   npm run capture:golden             capture again (needs kcat, and python3-kafka for kafka-python)
 *   npm run capture:golden -- --docs   only regenerate the table from the fixtures kept
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../broker/broker";
import { APIS } from "../messages";
import { kafkajsClient } from "./clients/kafkajs";
import { kafkaPythonClient } from "./clients/kafka-python";
import { kafkaTsClient } from "./clients/kafka-ts";
import { kcatClient } from "./clients/kcat";
import { SASL_USER, SASL_USERS, type Client, type Scenario } from "./clients/scenario";
import { writeCoverage } from "./coverage";
import { fixturesFrom, readFixtures, writeFixtures, type GoldenFixture } from "./fixtures";
import { RecordingProxy, type Cap, type Capture } from "./proxy";

const SCENARIO_TIMEOUT_MS = 45_000;

async function startBehindProxy(sasl: boolean): Promise<{ proxy: RecordingProxy; broker: Broker; dataDir: string }> {
  const proxy = await RecordingProxy.start();
  const dataDir = mkdtempSync(join(tmpdir(), "tributary-golden-"));
  const broker = await Broker.start({
    dataDir,
    host: "127.0.0.1",
    port: 0,
    advertisedPort: proxy.port,
    numPartitions: 1,
    groupInitialRebalanceDelayMs: 0,
    sasl: sasl ? { mechanisms: ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"], users: SASL_USERS } : undefined,
    // The ACL APIs answer SECURITY_DISABLED without an authorizer; the capturing user may do everything.
    security: sasl ? { authorizer: "acl", superUsers: [`User:${SASL_USER.username}`] } : undefined,
  });
  proxy.upstream = broker.address();
  return { proxy, broker, dataDir };
}

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no result in ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const capLabel = (cap: Cap | null) => (cap === null ? "none" : cap.apiKey === undefined ? `${cap.version}` : `${APIS.get(cap.apiKey)!.name}≤${cap.version}`);

async function runScenario(proxy: RecordingProxy, client: Client, scenario: Scenario, cap: Cap | null): Promise<Capture[]> {
  proxy.cap = cap;
  proxy.client = client.name;
  proxy.scenario = scenario.name;
  const from = proxy.captures.length;
  const label = `cap ${capLabel(cap)} · ${client.name} · ${scenario.name}`;
  // Topics and groups unique to the run (Kafka names allow dots, not ≤).
  const prefix = `golden-${capLabel(cap).replace("≤", ".")}`;
  try {
    await withTimeout(scenario.run({ bootstrap: proxy.bootstrap, prefix, sasl: scenario.sasl }), SCENARIO_TIMEOUT_MS);
    const run = proxy.captures.splice(from);
    process.stderr.write(`${label}: ${run.length} frames\n`);
    return run;
  } catch (err) {
    // The client's requests are still its own bytes; our answers it did not get through are not kept as accepted.
    const run = proxy.captures.splice(from);
    process.stderr.write(`${label}: failed, keeping requests only (${(err as Error).message.split("\n")[0]})\n`);
    return run.filter((c) => c.direction === "request");
  }
}

type Target = { scenario: string; client: string; cap: Cap };

/**
 * Runs with one API capped, per client: each version it sent without an answer being kept (its
 * scenario failed at that cap on every API), and each served version below the lowest it sent
 * (its scenario may have failed before it sent that API at all), with a scenario that sends it.
 */
function targets(kept: Capture[]): Target[] {
  const key = (client: string, apiKey: number, version: number) => `${client}\u0000${apiKey}\u0000${version}`;
  const requests = kept.filter((c) => c.direction === "request" && isServed(c));
  const answered = new Set(kept.filter((c) => c.direction === "response").map((c) => key(c.client, c.apiKey, c.version)));
  const lowest = new Map<string, number>();
  for (const c of requests) lowest.set(`${c.client}\u0000${c.apiKey}`, Math.min(c.version, lowest.get(`${c.client}\u0000${c.apiKey}`) ?? Infinity));
  const out = new Map<string, Target>();
  const add = (c: Capture, version: number) => {
    const k = key(c.client, c.apiKey, version);
    if (!answered.has(k) && !out.has(k)) out.set(k, { scenario: c.scenario, client: c.client, cap: { apiKey: c.apiKey, version } });
  };
  for (const c of requests) {
    add(c, c.version);
    for (let v = APIS.get(c.apiKey)!.servedMinVersion; v < lowest.get(`${c.client}\u0000${c.apiKey}`)!; v++) add(c, v);
  }
  return [...out.values()];
}

/** A request at a version we do not serve (a client that guesses versions instead of asking) is the client's, not a spec's, to answer for. */
function isServed(c: Capture): boolean {
  const api = APIS.get(c.apiKey)!;
  return c.version >= api.servedMinVersion && c.version <= api.maxVersion;
}

function served(c: Capture): boolean {
  if (isServed(c)) return true;
  const api = APIS.get(c.apiKey)!;
  process.stderr.write(`${c.client} sent ${api.name} v${c.version} (${c.scenario}), which the broker does not serve; not kept\n`);
  return false;
}

async function capture(): Promise<GoldenFixture[]> {
  const plain = await startBehindProxy(false);
  const sasl = await startBehindProxy(true);
  const clients = [kcatClient(), kafkajsClient(), kafkaPythonClient(), kafkaTsClient()];
  const highest = Math.max(...[...APIS.values()].map((a) => a.maxVersion));
  const caps: (Cap | null)[] = [null, ...Array.from({ length: highest + 1 }, (_, version) => ({ version }))];
  const kept: Capture[] = [];
  const run = async (client: Client, scenario: Scenario, cap: Cap | null) => kept.push(...(await runScenario(scenario.sasl ? sasl.proxy : plain.proxy, client, scenario, cap)));
  try {
    for (const cap of caps) {
      for (const client of clients) {
        for (const scenario of client.scenarios) await run(client, scenario, cap);
      }
    }
    for (const todo of targets(kept)) {
      const client = clients.find((c) => c.name === todo.client)!;
      await run(client, client.scenarios.find((s) => s.name === todo.scenario)!, todo.cap);
    }
  } finally {
    for (const side of [plain, sasl]) {
      await side.proxy.close();
      await side.broker.close();
      rmSync(side.dataDir, { recursive: true, force: true });
    }
  }
  for (const f of [...plain.proxy.failures, ...sasl.proxy.failures]) process.stderr.write(`proxy: ${f}\n`);
  return fixturesFrom(kept.filter(served));
}

async function main(): Promise<void> {
  if (process.argv.includes("--docs")) return writeCoverage(readFixtures());
  const fixtures = await capture();
  writeFixtures(fixtures);
  writeCoverage(fixtures);
  const bytes = fixtures.reduce((n, f) => n + f.frames.reduce((m, fr) => m + fr.hex.length / 2, 0), 0);
  process.stderr.write(`wrote ${fixtures.length} fixtures (${bytes} frame bytes) and the coverage table\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`capture failed: ${(err as Error).stack}\n`);
    process.exit(1);
  },
);
