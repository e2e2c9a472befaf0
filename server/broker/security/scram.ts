import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { ScramMechanism } from "../../kafka/constants";
import { ErrorCode, KafkaError } from "../../kafka/errors";

export type ScramMechanismName = "SCRAM-SHA-256" | "SCRAM-SHA-512";
export const SCRAM_MECHANISMS: readonly ScramMechanismName[] = ["SCRAM-SHA-256", "SCRAM-SHA-512"];

/** The wire code of each mechanism (ScramMechanism) and back. */
export const MECHANISM_CODES: Record<ScramMechanismName, number> = { "SCRAM-SHA-256": ScramMechanism.SCRAM_SHA_256, "SCRAM-SHA-512": ScramMechanism.SCRAM_SHA_512 };
export const mechanismOfCode = (code: number) => SCRAM_MECHANISMS.find((m) => MECHANISM_CODES[m] === code);

/** What a SCRAM server keeps (RFC 5802): enough to check a proof, never the password. */
export interface ScramCredential {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** A ScramCredential as stored (base64 fields). */
export interface StoredScramCredential {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}

/** Kafka's bounds for a SCRAM credential's iterations. */
export const MIN_ITERATIONS = 4096;
export const MAX_ITERATIONS = 16384;

export const hashOf = (m: ScramMechanismName) => (m === "SCRAM-SHA-512" ? "sha512" : "sha256");
const keyLength = (m: ScramMechanismName) => (m === "SCRAM-SHA-512" ? 64 : 32);

/** The credential from a salted password, which is what AlterUserScramCredentials carries. */
export function credentialFromSaltedPassword(m: ScramMechanismName, salt: Buffer, saltedPassword: Buffer, iterations: number): ScramCredential {
  if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) throw new KafkaError(ErrorCode.UNACCEPTABLE_CREDENTIAL, `iterations must be between ${MIN_ITERATIONS} and ${MAX_ITERATIONS}, not ${iterations}`);
  if (saltedPassword.length !== keyLength(m)) throw new KafkaError(ErrorCode.UNACCEPTABLE_CREDENTIAL, `a ${m} salted password has ${keyLength(m)} bytes, not ${saltedPassword.length}`);
  if (salt.length === 0) throw new KafkaError(ErrorCode.UNACCEPTABLE_CREDENTIAL, "the salt is empty");
  const clientKey = createHmac(hashOf(m), saltedPassword).update("Client Key").digest();
  return { salt, iterations, storedKey: createHash(hashOf(m)).update(clientKey).digest(), serverKey: createHmac(hashOf(m), saltedPassword).update("Server Key").digest() };
}

/** PBKDF2 of the password, as a client does before AlterUserScramCredentials. */
export function saltPassword(m: ScramMechanismName, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(password, salt, iterations, keyLength(m), hashOf(m));
}

/**
 * A new credential for a password (`--sasl-users`). The salt is text, as Kafka's are (random
 * base-36 digits): some clients (kafka-ts) decode the salt to a string before deriving the key,
 * which garbles arbitrary bytes.
 */
export function credentialFromPassword(m: ScramMechanismName, password: string, iterations = MIN_ITERATIONS): ScramCredential {
  const salt = Buffer.from(BigInt(`0x${randomBytes(17).toString("hex")}`).toString(36));
  return credentialFromSaltedPassword(m, salt, saltPassword(m, password, salt, iterations), iterations);
}

/** Does the password make this credential? How PLAIN logins are checked without a stored password. */
export function passwordMatches(m: ScramMechanismName, c: ScramCredential, password: string): boolean {
  const derived = credentialFromSaltedPassword(m, c.salt, saltPassword(m, password, c.salt, c.iterations), c.iterations);
  return timingSafeEqual(derived.storedKey, c.storedKey);
}

export const storeCredential = (c: ScramCredential): StoredScramCredential => ({ salt: c.salt.toString("base64"), iterations: c.iterations, storedKey: c.storedKey.toString("base64"), serverKey: c.serverKey.toString("base64") });
export const loadCredential = (c: StoredScramCredential): ScramCredential => ({ salt: Buffer.from(c.salt, "base64"), iterations: c.iterations, storedKey: Buffer.from(c.storedKey, "base64"), serverKey: Buffer.from(c.serverKey, "base64") });
