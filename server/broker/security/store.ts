import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, KafkaError } from "../../kafka/errors";
import { writeFileAtomic, writeFileAtomicAsync } from "../log/atomic";
import type { Acl } from "./acl";
import type { StoredScramCredential } from "./scram";
import type { QuotaEntry } from "./quotas";

/**
 * The cluster's security metadata: ACLs, SCRAM credentials and client quotas. One state, changed
 * as a whole and told to listeners, so a store backed by the cluster's shared metadata can apply
 * another broker's change the same way as a local one.
 */
export interface SecurityState {
  acls: Acl[];
  /** By user name, then mechanism name (SCRAM-SHA-256, SCRAM-SHA-512). */
  scram: Record<string, Record<string, StoredScramCredential>>;
  quotas: QuotaEntry[];
  /** `--sasl-users` has been turned into credentials once; from then on they are managed over the protocol. */
  seeded: boolean;
  /**
   * By node id, the internal user of each broker of a cluster (its console, lag sampler and agents
   * connect to every broker); a single node keeps its own in memory only, so this stays empty.
   */
  internal: Record<string, InternalLogin>;
}

/** A broker's internal user as the other brokers check it: SCRAM credentials, never the password. */
export interface InternalLogin {
  username: string;
  credentials: Record<string, StoredScramCredential>;
}

export interface SecurityStore {
  /** The state now; never mutated in place (a change makes a new one). */
  readonly state: SecurityState;
  /** Applies a change atomically and durably; the promise settles once it is stored. */
  update(change: (s: SecurityState) => SecurityState): Promise<void>;
  /** Called after every change, local or (in a cluster) made elsewhere. */
  onChange(listener: (s: SecurityState) => void): void;
  /** Settles once pending changes are stored and nothing more is read. */
  close(): Promise<void>;
}

interface StoredFile extends SecurityState {
  version: 1;
}

/**
 * A single node's security metadata: <dataDir>/security.json, written atomically (temp, fsync,
 * rename) as topic metadata is; changes are serialized so the file always holds the last one.
 * Credentials are stored as salt, iterations and keys, never a password.
 */
export class FileSecurityStore implements SecurityStore {
  private current: SecurityState;
  private listeners: ((s: SecurityState) => void)[] = [];
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private path: string,
    state: SecurityState,
  ) {
    this.current = state;
  }

  static open(dataDir: string): FileSecurityStore {
    mkdirSync(dataDir, { recursive: true });
    const path = join(dataDir, "security.json");
    if (existsSync(path)) {
      const { acls, scram, quotas, seeded, internal } = JSON.parse(readFileSync(path, "utf8")) as Partial<StoredFile>;
      return new FileSecurityStore(path, { acls: acls ?? [], scram: scram ?? {}, quotas: quotas ?? [], seeded: seeded ?? false, internal: internal ?? {} });
    }
    const store = new FileSecurityStore(path, { acls: [], scram: {}, quotas: [], seeded: false, internal: {} });
    writeFileAtomic(path, store.serialize(store.current));
    return store;
  }

  get state(): SecurityState {
    return this.current;
  }

  onChange(listener: (s: SecurityState) => void): void {
    this.listeners.push(listener);
  }

  update(change: (s: SecurityState) => SecurityState): Promise<void> {
    const next = this.writing.then(async () => {
      const state = change(this.current);
      try {
        await writeFileAtomicAsync(this.path, this.serialize(state));
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `cannot write security metadata (${e.code ?? e.message}); free disk space and retry`);
      }
      this.current = state;
      for (const l of this.listeners) l(state);
    });
    // A failed change must not block the ones after it.
    this.writing = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.writing;
  }

  private serialize(s: SecurityState): string {
    const file: StoredFile = { version: 1, ...s };
    return JSON.stringify(file, null, 1);
  }
}
