import { Reader, Writer } from "../../kafka/codec";
import { decodeStruct, encodeStruct, parseFields, type Field } from "../../kafka/schema";

/**
 * The record formats of __consumer_offsets, as Kafka writes them, so tools that read the topic
 * directly (lag checkers, monitors) understand ours. Every key and value starts with an int16
 * version; the key's version says what the record is: 0 and 1 a committed offset, 2 a group's
 * metadata. Declared in the notation of server/kafka/schema.ts after Kafka's OffsetCommitKey,
 * OffsetCommitValue, GroupMetadataKey and GroupMetadataValue message files; we write offset
 * key v1 / value v3 and group metadata key v2 / value v3, and read every version Kafka 3.x has.
 */
const OFFSET_KEY = parseFields(`
group string
topic string
partition int32
`);

const OFFSET_VALUE = parseFields(`
offset int64
leaderEpoch int32 3+ default=-1
metadata string
commitTimestamp int64
expireTimestamp int64 1 default=-1
`);

const GROUP_KEY = parseFields(`
group string
`);

const GROUP_VALUE = parseFields(`
protocolType string
generation int32
protocol string null
leader string null
currentStateTimestamp int64 2+ default=-1
members []
  memberId string
  groupInstanceId string 3+ null default=null
  clientId string
  clientHost string
  rebalanceTimeout int32 1+
  sessionTimeout int32
  subscription bytes
  assignment bytes
`);

const OFFSET_KEY_VERSION = 1;
const OFFSET_VALUE_VERSION = 3;
const GROUP_KEY_VERSION = 2;
const GROUP_VALUE_VERSION = 3;
/** Kafka's value schemas became flexible (tagged fields) at version 4. */
const FIRST_FLEXIBLE_VALUE = 4;

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestamp: number;
}

export interface GroupMetadata {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: number;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    rebalanceTimeout: number;
    sessionTimeout: number;
    subscription: Buffer;
    assignment: Buffer;
  }[];
}

export type OffsetsKey = { kind: "offset"; group: string; topic: string; partition: number } | { kind: "group"; group: string };

function encode(version: number, fields: Field[], body: object, flexible = false): Buffer {
  const w = new Writer(128);
  w.int16(version);
  encodeStruct(w, fields, body as Record<string, unknown>, version, flexible);
  return Buffer.concat(w.frame().slice(1));
}

export function offsetKey(group: string, topic: string, partition: number): Buffer {
  return encode(OFFSET_KEY_VERSION, OFFSET_KEY, { group, topic, partition });
}

export function offsetValue(o: CommittedOffset): Buffer {
  // Kafka stores "no metadata" as the empty string.
  return encode(OFFSET_VALUE_VERSION, OFFSET_VALUE, { ...o, metadata: o.metadata ?? "" });
}

export function groupKey(group: string): Buffer {
  return encode(GROUP_KEY_VERSION, GROUP_KEY, { group });
}

export function groupValue(g: GroupMetadata): Buffer {
  return encode(GROUP_VALUE_VERSION, GROUP_VALUE, g);
}

/** Reads a binary key; null for a version this broker does not know (a record it must leave alone). */
export function readKey(key: Buffer): OffsetsKey | null {
  const r = new Reader(key);
  const version = r.int16();
  if (version === 0 || version === 1) return { kind: "offset", ...(decodeStruct(r, OFFSET_KEY, version, false) as { group: string; topic: string; partition: number }) };
  if (version === 2) return { kind: "group", ...(decodeStruct(r, GROUP_KEY, version, false) as { group: string }) };
  return null;
}

export function readOffsetValue(value: Buffer): CommittedOffset {
  const r = new Reader(value);
  const version = r.int16();
  const v = decodeStruct(r, OFFSET_VALUE, version, version >= FIRST_FLEXIBLE_VALUE) as unknown as CommittedOffset;
  return { offset: v.offset, leaderEpoch: v.leaderEpoch, metadata: v.metadata, commitTimestamp: v.commitTimestamp };
}

export function readGroupValue(value: Buffer): GroupMetadata {
  const r = new Reader(value);
  const version = r.int16();
  return decodeStruct(r, GROUP_VALUE, version, version >= FIRST_FLEXIBLE_VALUE) as unknown as GroupMetadata;
}
