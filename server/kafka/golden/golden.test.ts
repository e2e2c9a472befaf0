import { describe, expect, it } from "vitest";
import { coverageTable, documentedCoverage } from "./coverage";
import { readFixtures, type GoldenFrame } from "./fixtures";
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, specOf } from "./frames";
import { implausible } from "./plausible";

const fixtures = readFixtures();

/** Where two encodings part, so a failure points at the field rather than at a wall of hex. */
function firstDifference(a: Buffer, b: Buffer): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `re-encoded ${b.length} bytes, captured ${a.length}; first difference at byte ${i} (captured …${a.subarray(Math.max(0, i - 8), i + 8).toString("hex")}…, ours …${b.subarray(Math.max(0, i - 8), i + 8).toString("hex")}…)`;
}

function roundTrip(apiKey: number, version: number, frame: GoldenFrame): void {
  const bytes = Buffer.from(frame.hex, "hex");
  const { body, again } = frame.direction === "request" ? requestRoundTrip(apiKey, version, bytes) : responseRoundTrip(apiKey, version, bytes);
  // Byte equality also proves no tagged field was dropped: one we do not declare would be missing here.
  if (!again.equals(bytes)) expect.fail(firstDifference(bytes, again));
  const api = specOf(apiKey);
  const fields = frame.direction === "request" ? api.request.fields : api.response.fields;
  expect(implausible(fields, body, version), "fields holding values their names do not allow (a spec reading its neighbour?)").toEqual([]);
}

function requestRoundTrip(apiKey: number, version: number, bytes: Buffer) {
  const { header, body } = decodeRequest(bytes);
  expect([header.apiKey, header.apiVersion]).toEqual([apiKey, version]);
  return { body, again: encodeRequest(header, body) };
}

function responseRoundTrip(apiKey: number, version: number, bytes: Buffer) {
  const { correlationId, body } = decodeResponse(apiKey, version, bytes);
  return { body, again: encodeResponse(apiKey, version, correlationId, body) };
}

describe("golden frames captured from real clients", () => {
  it("has fixtures to check, each small", () => {
    expect(fixtures.length).toBeGreaterThan(50);
    for (const f of fixtures) expect(JSON.stringify(f).length, `${f.api} v${f.version}`).toBeLessThan(8_192);
  });

  it("holds only versions the broker serves", () => {
    for (const f of fixtures) {
      const api = specOf(f.apiKey);
      expect(f.version, f.api).toBeGreaterThanOrEqual(api.servedMinVersion);
      expect(f.version, f.api).toBeLessThanOrEqual(api.maxVersion);
    }
  });

  for (const f of fixtures) {
    describe(`${f.api} v${f.version}`, () => {
      f.frames.forEach((frame, i) => {
        it(`${frame.direction} ${i} from ${frame.client} (${frame.scenario}) decodes with every byte read, re-encodes identically and holds plausible values`, () => {
          roundTrip(f.apiKey, f.version, frame);
        });
      });
    });
  }

  it("docs/kafka-compatibility.md lists the captured coverage (npm run capture:golden -- --docs rewrites it)", () => {
    expect(documentedCoverage()).toBe(coverageTable(fixtures));
  });
});
