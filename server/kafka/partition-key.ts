/**
 * One topic partition as a map key. NUL cannot appear in a topic name (Kafka allows only
 * [a-zA-Z0-9._-]), so the key splits back unambiguously.
 */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function splitPartition(key: string): { topic: string; partition: number } {
  const at = key.lastIndexOf("\u0000");
  return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) };
}
