import { Reader, Writer } from "../codec";

/**
 * The consumer protocol inside JoinGroup and SyncGroup (Kafka's ConsumerProtocolSubscription and
 * ConsumerProtocolAssignment, non-flexible, versions 0-3): what a member subscribes to and owns,
 * and what the leader assigns it. Opaque to the broker; every Kafka client reads the same bytes.
 */
export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface Subscription {
  topics: string[];
  userData: Buffer | null;
  /** v1+: what the member owns now (cooperative rebalancing keeps these where it can). */
  ownedPartitions: TopicPartitions[];
  /** v2+: the generation the owned partitions are from; -1 when unknown. */
  generationId: number;
  /** v3+ */
  rackId: string | null;
}

export interface Assignment {
  partitions: TopicPartitions[];
  userData: Buffer | null;
}

/** The subscription version this client writes: v3 carries everything cooperative-sticky uses. */
const SUBSCRIPTION_VERSION = 3;
const ASSIGNMENT_VERSION = 3;

function writeString(w: Writer, s: string | null): void {
  if (s === null) return w.int16(-1);
  const b = Buffer.from(s, "utf8");
  w.int16(b.length);
  w.bytes(b);
}

function readString(r: Reader): string | null {
  const n = r.int16();
  return n < 0 ? null : r.take(n).toString("utf8");
}

function writeBytes(w: Writer, b: Buffer | null): void {
  if (b === null) return w.int32(-1);
  w.int32(b.length);
  w.bytes(b);
}

function readBytes(r: Reader): Buffer | null {
  const n = r.int32();
  return n < 0 ? null : Buffer.from(r.take(n));
}

function writeTopicPartitions(w: Writer, list: TopicPartitions[]): void {
  w.int32(list.length);
  for (const t of list) {
    writeString(w, t.topic);
    w.int32(t.partitions.length);
    for (const p of t.partitions) w.int32(p);
  }
}

function readTopicPartitions(r: Reader): TopicPartitions[] {
  const n = r.int32();
  const out: TopicPartitions[] = [];
  for (let i = 0; i < n; i++) {
    const topic = readString(r) ?? "";
    const count = r.int32();
    const partitions: number[] = [];
    for (let j = 0; j < count; j++) partitions.push(r.int32());
    out.push({ topic, partitions });
  }
  return out;
}

function toBuffer(w: Writer): Buffer {
  return Buffer.concat(w.frame().slice(1));
}

export function encodeSubscription(s: Subscription): Buffer {
  const w = new Writer(128);
  w.int16(SUBSCRIPTION_VERSION);
  w.int32(s.topics.length);
  for (const t of s.topics) writeString(w, t);
  writeBytes(w, s.userData);
  writeTopicPartitions(w, s.ownedPartitions);
  w.int32(s.generationId);
  writeString(w, s.rackId);
  return toBuffer(w);
}

/** The topic array every subscription version starts with (after its int16 version). */
function readSubscribedTopics(r: Reader): string[] {
  const n = r.int32();
  const topics: string[] = [];
  for (let i = 0; i < n; i++) topics.push(readString(r) ?? "");
  return topics;
}

/** Only a subscription's topics, for a broker that needs no more of it (so user data it cannot read does not matter). */
export function decodeSubscribedTopics(b: Buffer): string[] {
  const r = new Reader(b);
  r.int16();
  return readSubscribedTopics(r);
}

/** Reads any version; fields a version lacks get their defaults. Newer versions' extra fields are ignored, as Kafka does. */
export function decodeSubscription(b: Buffer): Subscription {
  const r = new Reader(b);
  const version = r.int16();
  const topics = readSubscribedTopics(r);
  const userData = r.remaining > 0 ? readBytes(r) : null;
  const ownedPartitions = version >= 1 && r.remaining > 0 ? readTopicPartitions(r) : [];
  const generationId = version >= 2 && r.remaining > 0 ? r.int32() : -1;
  const rackId = version >= 3 && r.remaining > 0 ? readString(r) : null;
  return { topics, userData, ownedPartitions, generationId, rackId };
}

export function encodeAssignment(a: Assignment): Buffer {
  const w = new Writer(128);
  w.int16(ASSIGNMENT_VERSION);
  writeTopicPartitions(w, a.partitions);
  writeBytes(w, a.userData);
  return toBuffer(w);
}

export function decodeAssignment(b: Buffer): Assignment {
  if (b.length === 0) return { partitions: [], userData: null };
  const r = new Reader(b);
  r.int16();
  const partitions = readTopicPartitions(r);
  const userData = r.remaining >= 4 ? readBytes(r) : null;
  return { partitions, userData };
}
