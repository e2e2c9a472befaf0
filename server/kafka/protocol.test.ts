import { describe, expect, expectTypeOf, it } from "vitest";
import { ProtocolError, Reader, Writer } from "./codec";
import { readRequestHeader, readResponseHeader } from "./headers";
import { ApiKey, Apis } from "./messages";
import type { FetchRequest, MetadataResponse } from "./messages.types";
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, requestFrame, responseFrame } from "./protocol";

/** The frame's bytes after its 4-byte size. */
const payload = (frame: Buffer[]) => Buffer.concat(frame).subarray(4);

describe("typed request and response codec", () => {
  it("round-trips a flexible Fetch request with a tagged field and fills the defaults the client left out", () => {
    const frame = requestFrame(Apis.Fetch, 12, 7, "app", {
      clusterId: "c1",
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 1,
      sessionId: 0,
      topics: [{ topic: "orders", partitions: [{ partition: 3, fetchOffset: 42, partitionMaxBytes: 65536 }] }],
      rackId: "",
    });
    const r = new Reader(payload(frame));
    expect(readRequestHeader(r)).toEqual({ apiKey: ApiKey.Fetch, apiVersion: 12, correlationId: 7, clientId: "app" });
    const req = decodeRequest(Apis.Fetch, 12, r);
    expect(r.remaining).toBe(0);
    expect(req).toEqual({
      clusterId: "c1",
      replicaId: -1,
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: "orders", partitions: [{ partition: 3, currentLeaderEpoch: -1, fetchOffset: 42, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 65536 }] }],
      forgottenTopicsData: [],
      rackId: "",
    });
    expectTypeOf(req).toEqualTypeOf<FetchRequest>();
  });

  it("decodes an old Fetch version with every later field at its declared default", () => {
    const w = new Writer();
    encodeRequest(Apis.Fetch, 4, { maxWaitMs: 100, minBytes: 1, isolationLevel: 0, topics: [{ topic: "t", partitions: [{ partition: 0, fetchOffset: 5, partitionMaxBytes: 1024 }] }] }, w);
    const req = decodeRequest(Apis.Fetch, 4, new Reader(payload(w.frame())));
    expect(req.clusterId).toBeNull();
    expect(req.sessionEpoch).toBe(-1);
    expect(req.rackId).toBe("");
    expect(req.topics[0].partitions[0]).toEqual({ partition: 0, currentLeaderEpoch: -1, fetchOffset: 5, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1024 });
    // Defaults are shared by every decode: changing one must fail, not leak into the next request.
    expect(() => req.forgottenTopicsData.push({ topic: "x", partitions: [] })).toThrow(TypeError);
  });

  it("round-trips a Produce request's records as the same bytes", () => {
    const records = Buffer.from("not really a batch, but bytes all the same");
    const w = new Writer();
    encodeRequest(Apis.Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 3000, topicData: [{ name: "logs", partitionData: [{ index: 1, records }] }] }, w);
    const req = decodeRequest(Apis.Produce, 7, new Reader(payload(w.frame())));
    expect(req.topicData[0].partitionData[0].records?.equals(records)).toBe(true);
    expect(req.transactionalId).toBeNull();
  });

  it("round-trips Metadata responses in header v1 (flexible) and v0 (not), with null topic names and ids", () => {
    const body = {
      brokers: [{ nodeId: 1, host: "localhost", port: 9092 }],
      clusterId: "cluster",
      controllerId: 1,
      topics: [{ errorCode: 0, name: null, topicId: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", isInternal: false, partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1] }] }],
    };
    const flexible = new Reader(payload(responseFrame(Apis.Metadata, 12, 99, body)));
    expect(readResponseHeader(flexible, Apis.Metadata, 12)).toBe(99);
    const res = decodeResponse(Apis.Metadata, 12, flexible);
    expect(flexible.remaining).toBe(0);
    expect(res.topics[0].name).toBeNull();
    expect(res.topics[0].topicId).toBe(body.topics[0].topicId);
    expect(res.topics[0].partitions[0]).toEqual({ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: -1, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] });
    expect(res.brokers[0].rack).toBeNull();
    expectTypeOf(res).toEqualTypeOf<MetadataResponse>();

    const classic = payload(responseFrame(Apis.Metadata, 8, 99, { ...body, topics: [{ ...body.topics[0], name: "t" }] }));
    // Header v0 is the correlation id alone: the throttle time follows at once.
    expect(classic.readInt32BE(0)).toBe(99);
    expect(classic.readInt32BE(4)).toBe(0);
    const old = new Reader(classic);
    readResponseHeader(old, Apis.Metadata, 8);
    expect(decodeResponse(Apis.Metadata, 8, old).topics[0].name).toBe("t");
    expect(old.remaining).toBe(0);
  });

  it("writes the ApiVersions request in header v2 and its flexible response in header v0, as Kafka lays them out", () => {
    const request = payload(requestFrame(Apis.ApiVersions, 3, 1, "c", { clientSoftwareName: "x", clientSoftwareVersion: "1" }));
    // key 18, version 3, correlation 1, client id "c" as a classic string, no header tags; then compact strings "x" and "1", no body tags.
    expect(request.toString("hex")).toBe("0012" + "0003" + "00000001" + "0001" + "63" + "00" + "0278" + "0231" + "00");
    const response = payload(responseFrame(Apis.ApiVersions, 3, 1, { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }] }));
    // correlation 1, no header tags, error 0, one api key, throttle 0, no body tags.
    expect(response.toString("hex")).toBe("00000001" + "0000" + "02" + "0012" + "0000" + "0004" + "00" + "00000000" + "00");
  });

  it("writes a tagged field only in flexible versions and only when it differs from its default", () => {
    const topic = { name: "t", topicId: "00000000-0000-0000-0000-000000000001", errorCode: 0, topicConfigErrorCode: 40, numPartitions: 1, replicationFactor: 1, configs: null };
    const w7 = new Writer();
    encodeResponse(Apis.CreateTopics, 7, { topics: [topic] }, w7);
    expect(decodeResponse(Apis.CreateTopics, 7, new Reader(payload(w7.frame()))).topics[0].topicConfigErrorCode).toBe(40);
    const w4 = new Writer();
    encodeResponse(Apis.CreateTopics, 4, { topics: [topic] }, w4);
    expect(decodeResponse(Apis.CreateTopics, 4, new Reader(payload(w4.frame()))).topics[0].topicConfigErrorCode).toBe(0);
    const plain = new Writer();
    encodeResponse(Apis.CreateTopics, 7, { topics: [{ ...topic, topicConfigErrorCode: 0 }] }, plain);
    // The tag costs its number, its size and the int16 itself.
    expect(Buffer.concat(w7.frame()).length - Buffer.concat(plain.frame()).length).toBe(4);
  });

  it("refuses a version the declaration does not have, and says how to pick one", () => {
    expect(() => encodeRequest(Apis.Fetch, 13, { maxWaitMs: 0, minBytes: 0, isolationLevel: 0, topics: [] }, new Writer())).toThrow(ProtocolError);
    expect(() => decodeResponse(Apis.Fetch, 3, new Reader(Buffer.alloc(64)))).toThrow(/Fetch v3 is not declared \(versions 4-12\).*ApiVersions/);
  });

  it("holds each API's shapes to its handle at compile time", () => {
    const w = new Writer();
    // @ts-expect-error a misspelt field is an excess property
    encodeResponse(Apis.Heartbeat, 4, { errorCode: 0, throtleTimeMs: 0 }, w);
    // @ts-expect-error errorCode has no default: a response must say it
    encodeResponse(Apis.Heartbeat, 4, {}, w);
    // @ts-expect-error the body of another API does not fit
    encodeRequest(Apis.Heartbeat, 4, { groupsNames: ["g"] }, w);
    expect(ApiKey.Heartbeat).toBe(12);
    expect(Apis.Heartbeat.name).toBe("Heartbeat");
    expectTypeOf(Apis.Heartbeat.key).toEqualTypeOf<12>();
  });
});
