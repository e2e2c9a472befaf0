/** Java's String.hashCode over UTF-16 code units (what a JavaScript string holds), with int overflow. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * The partition of __consumer_offsets (or __transaction_state) that holds a group (or
 * transactional id): Kafka's `Utils.abs(key.hashCode()) % partitions`, where Utils.abs maps
 * Integer.MIN_VALUE to 0. Kafka's own brokers place every key the same way, so a client or tool
 * that computes it (kafka-consumer-groups, Cruise Control) agrees with this broker.
 */
export function coordinatorPartition(key: string, partitions: number): number {
  const h = javaStringHash(key);
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions;
}
