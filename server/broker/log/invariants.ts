import { ErrorCode, KafkaError } from "../../kafka/errors";

/**
 * A storage invariant that does not hold: the log's own bookkeeping disagrees with itself or with
 * its files, so continuing would serve or index the wrong bytes. The partition refuses further
 * writes (KAFKA_STORAGE_ERROR) until a restart recovers it from its files.
 */
export class StorageInvariantError extends KafkaError {
  constructor(what: string) {
    super(ErrorCode.KAFKA_STORAGE_ERROR, `storage invariant broken: ${what}; the partition refuses writes until the broker restarts and recovers it`);
    this.name = "StorageInvariantError";
  }
}

/** Throws StorageInvariantError with `what()` (built only when it fails) unless `holds`. */
export function invariant(holds: boolean, what: () => string): asserts holds {
  if (!holds) throw new StorageInvariantError(what());
}
