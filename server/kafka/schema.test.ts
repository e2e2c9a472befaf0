import { describe, expect, it } from "vitest";
import { Reader, Writer } from "./codec";
import { decodeStruct, encodeStruct, parseFields } from "./schema";

describe("message declarations", () => {
  it("keeps the text after # as the field's about line, and skips comment-only lines", () => {
    const [a, b] = parseFields(`
# a note for readers of the declaration
acks int16 # How many replicas must have the records.
timeoutMs int32 default=30000
`);
    expect(a).toMatchObject({ name: "acks", about: "How many replicas must have the records.", explicitDefault: false });
    expect(b).toMatchObject({ name: "timeoutMs", about: null, explicitDefault: true, default: 30000 });
  });

  it("decodes a struct absent in a version as its fields' defaults, and a nullable one as null", () => {
    const fields = parseFields(`
id int32
leader {} 2+
  leaderId int32 default=-1
  leaderEpoch int32 default=-1
previous {} 2+ null
  leaderId int32
`);
    const w = new Writer();
    encodeStruct(w, fields, { id: 5 }, 1, false);
    const decoded = decodeStruct(new Reader(Buffer.concat(w.frame()).subarray(4)), fields, 1, false);
    expect(decoded).toEqual({ id: 5, leader: { leaderId: -1, leaderEpoch: -1 }, previous: null });
  });
});
