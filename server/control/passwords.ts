import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";

const scrypt = (password: string, salt: Buffer, keylen: number, opts: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );

/** scrypt cost parameters (OWASP's minimum for scrypt: N=2^17 would cost 128 MiB per login; 2^15 keeps it at 32 MiB). */
const N = 1 << 15;
const R = 8;
const P = 1;
const KEY_LEN = 32;
const MAX_MEM = 64 * 1024 * 1024;

/** Encoded as `scrypt$N$r$p$salt$hash` (base64) so parameters can be raised later without breaking old hashes. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LEN, { N, r: R, p: P, maxmem: MAX_MEM });
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64")}$${key.toString("base64")}`;
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const [algo, n, r, p, salt, hash] = encoded.split("$");
  if (algo !== "scrypt" || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const key = await scrypt(password, Buffer.from(salt, "base64"), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: MAX_MEM,
  });
  return timingSafeEqual(key, expected);
}

let dummyHash: Promise<string> | undefined;

/**
 * Verifies a login's password against the user's hash, or, for a user that does not exist,
 * against a throw-away hash with the same cost: both answers take as long, so timing does not
 * tell which usernames exist.
 */
export async function checkPassword(password: string, encoded: string | undefined): Promise<boolean> {
  if (encoded !== undefined) return verifyPassword(password, encoded);
  dummyHash ??= hashPassword(generatePassword());
  await verifyPassword(password, await dummyHash);
  return false;
}

/** A password a person can copy from a terminal: 20 characters of base64url. */
export function generatePassword(): string {
  return randomBytes(15).toString("base64url");
}
