import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Reader, Writer } from "../../kafka/codec";
import { Acks } from "../../kafka/constants";
import { ErrorCode } from "../../kafka/errors";
import { readResponseHeader } from "../../kafka/headers";
import { APIS, Apis, type ApiSpec } from "../../kafka/messages";
import type { ApiName } from "../../kafka/messages.types";
import { decodeResponse, encodeRequest, type RequestInputOf } from "../../kafka/protocol";
import { GroupCoordinator } from "../groups/coordinator";
import { TransactionCoordinator } from "../transactions/coordinator";
import { LogManager } from "../log/log-manager";
import { brokerHandlers } from "./index";
import { HandlerRegistry, type RequestInfo } from "./registry";

const info = (apiVersion: number): RequestInfo => ({ apiVersion, clientId: "test", clientHost: "127.0.0.1", signal: new AbortController().signal, sasl: undefined });

function body<N extends ApiName>(api: ApiSpec<N>, version: number, req: NoInfer<RequestInputOf<N>>): Reader {
  const w = new Writer();
  encodeRequest(api, version, req, w);
  return new Reader(Buffer.concat(w.frame().slice(1)));
}

describe("handler registry", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "tributary-handlers-"));
  const logs = LogManager.open({ dataDir });
  const groups = new GroupCoordinator({ logs });
  const transactions = new TransactionCoordinator({ logs, onOffsetsMarker: (producerId, commit) => groups.offsets.completeTransaction(producerId, commit) });
  const registry = brokerHandlers({ logs, groups, transactions, nodeId: 3, advertisedHost: "broker.example", advertisedPort: () => 9092, autoCreateTopics: false, numPartitions: 1 });
  afterAll(async () => {
    groups.close();
    await logs.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("routes every declared API to a handler and advertises exactly the declared versions", () => {
    for (const api of APIS.values()) expect(registry.route(api.key)?.api).toBe(api);
    const byKey = (a: { apiKey: number }, b: { apiKey: number }) => a.apiKey - b.apiKey;
    expect([...registry.apiVersions()].sort(byKey)).toEqual([...APIS.values()].map((a) => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion })).sort(byKey));
    expect(registry.route(9999)).toBeUndefined();
  });

  it("decodes the request, runs the handler and encodes its answer as the response frame", async () => {
    const route = registry.route(Apis.DescribeCluster.key)!;
    const reply = await route.handle(1, body(Apis.DescribeCluster, 1, { includeClusterAuthorizedOperations: false }), info(1));
    const frame = await reply!(77);
    const r = new Reader(Buffer.concat(frame).subarray(4));
    expect(readResponseHeader(r, Apis.DescribeCluster, 1)).toBe(77);
    const res = decodeResponse(Apis.DescribeCluster, 1, r);
    expect(res).toMatchObject({ errorCode: ErrorCode.NONE, clusterId: logs.clusterId, controllerId: 3, brokers: [{ brokerId: 3, host: "broker.example", port: 9092, rack: null }] });
    expect(r.remaining).toBe(0);
  });

  it("gives no reply when the handler answers null (Produce with acks=0)", async () => {
    const route = registry.route(Apis.Produce.key)!;
    const reply = await route.handle(9, body(Apis.Produce, 9, { transactionalId: null, acks: Acks.NONE, timeoutMs: 1000, topicData: [] }), info(9));
    expect(reply).toBeNull();
  });

  it("refuses a second handler for the same API", () => {
    const own = new HandlerRegistry();
    own.register(Apis.Heartbeat, () => ({ errorCode: ErrorCode.NONE }));
    expect(() => own.register(Apis.Heartbeat, () => ({ errorCode: ErrorCode.NONE }))).toThrow(/Heartbeat has a handler already/);
  });
});
