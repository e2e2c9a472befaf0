/** Kafka's murmur2, as its default partitioner hashes keys (so keyed records land where Java, librdkafka's murmur2 setting and kafkajs put them). */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ data.length;
  const n4 = data.length & ~3;
  for (let i = 0; i < n4; i += 4) {
    let k = data.readInt32LE(i);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = data.length & 3;
  if (rest === 3) h ^= data[n4 + 2] << 16;
  if (rest >= 2) h ^= data[n4 + 1] << 8;
  if (rest >= 1) {
    h ^= data[n4];
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
}

/** The partition Kafka's default partitioner picks for a key: positive murmur2 modulo the partition count. */
export function partitionForKey(key: Buffer, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}
