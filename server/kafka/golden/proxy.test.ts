import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBroker } from "../../broker/compat/harness";
import { TestConnection } from "../../broker/compat/test-connection";
import { ApiKey, Apis } from "../messages";
import { RecordingProxy } from "./proxy";

type Range = { apiKey: number; minVersion: number; maxVersion: number };

describe("the recording proxy", () => {
  let t: Awaited<ReturnType<typeof startTestBroker>>;
  let proxy: RecordingProxy;
  beforeAll(async () => {
    proxy = await RecordingProxy.start();
    t = await startTestBroker({ advertisedPort: proxy.port });
    proxy.upstream = t.broker.address();
  });
  afterAll(async () => {
    await proxy.close();
    await t.stop();
  });

  const versions = async (version: number) => {
    const c = await TestConnection.open(proxy.bootstrap);
    const res = await c.request(Apis.ApiVersions, version, { clientSoftwareName: "test", clientSoftwareVersion: "1" });
    c.close();
    return { errorCode: res.errorCode as number, ranges: new Map((res.apiKeys as Range[]).map((k) => [k.apiKey, [k.minVersion, k.maxVersion]])) };
  };

  it("passes the broker's ApiVersions answer through without a cap, and records each frame with its API and version", async () => {
    proxy.cap = null;
    const from = proxy.captures.length;
    const { ranges } = await versions(3);
    expect(ranges.get(ApiKey.Fetch)).toEqual([Apis.Fetch.minVersion, Apis.Fetch.maxVersion]);
    expect(proxy.captures.slice(from).map((c) => [c.direction, c.apiKey, c.version])).toEqual([
      ["request", ApiKey.ApiVersions, 3],
      ["response", ApiKey.ApiVersions, 3],
    ]);
  });

  it("caps every API, never below the version the broker serves, and drops SaslAuthenticate with SaslHandshake v0", async () => {
    proxy.cap = { version: 0 };
    const { ranges } = await versions(0);
    expect(ranges.get(ApiKey.Metadata)).toEqual([0, 0]);
    expect(ranges.get(ApiKey.Produce)).toEqual([0, Apis.Produce.servedMinVersion]);
    expect(ranges.get(ApiKey.Fetch)).toEqual([4, 4]);
    expect(ranges.has(ApiKey.SaslAuthenticate)).toBe(false);
  });

  it("answers an ApiVersions request above the cap as a broker that does not know it: UNSUPPORTED_VERSION and its own range", async () => {
    proxy.cap = { version: 1 };
    const c = await TestConnection.open(proxy.bootstrap);
    // Header v2 (ApiVersions v3): api 18, version 3, correlation 5, client id "x", no tags; body: two compact strings, no tags.
    const res = await c.sendRaw(Buffer.from([0, 18, 0, 3, 0, 0, 0, 5, 0, 1, 0x78, 0, 2, 0x61, 2, 0x31, 0]));
    c.close();
    expect(res.readInt32BE(0)).toBe(5);
    expect(res.readInt16BE(4)).toBe(35);
    expect([res.readInt32BE(6), res.readInt16BE(10), res.readInt16BE(12), res.readInt16BE(14)]).toEqual([1, ApiKey.ApiVersions, 0, 1]);
  });

  it("caps one API alone", async () => {
    proxy.cap = { apiKey: ApiKey.Metadata, version: 4 };
    const { ranges } = await versions(2);
    expect(ranges.get(ApiKey.Metadata)).toEqual([0, 4]);
    expect(ranges.get(ApiKey.Fetch)).toEqual([Apis.Fetch.minVersion, Apis.Fetch.maxVersion]);
    expect(ranges.has(ApiKey.SaslAuthenticate)).toBe(true);
  });
});
