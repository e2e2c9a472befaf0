import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { ErrorCode } from "../errors";
import { KafkaClientError } from "./errors";

export type SaslMechanism = "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512";

export interface SaslOptions {
  mechanism: SaslMechanism;
  username: string;
  password: string;
}

/**
 * One client-side SASL exchange: `first()` is the first token, `next(serverToken)` answers each
 * server token and returns null once the client has nothing more to send (after checking the
 * server's final message, for SCRAM).
 */
export interface SaslExchange {
  first(): Buffer;
  next(server: Buffer): Buffer | null;
}

export function saslExchange(o: SaslOptions): SaslExchange {
  if (o.mechanism === "PLAIN") {
    return { first: () => Buffer.from(`\u0000${o.username}\u0000${o.password}`, "utf8"), next: () => null };
  }
  return new ScramExchange(o.mechanism === "SCRAM-SHA-512" ? "sha512" : "sha256", o.username, o.password);
}

const fail = (why: string) => new KafkaClientError(ErrorCode.SASL_AUTHENTICATION_FAILED, "SCRAM authentication", { detail: why, retriable: false });

/** RFC 5802 (SCRAM) as Kafka uses it (RFC 7677 hashes, no channel binding). */
class ScramExchange implements SaslExchange {
  private readonly nonce = randomBytes(18).toString("base64");
  private clientFirstBare = "";
  private serverSignature: Buffer | undefined;
  private step = 0;

  constructor(
    private readonly hash: "sha256" | "sha512",
    private readonly username: string,
    private readonly password: string,
  ) {}

  first(): Buffer {
    const user = this.username.replace(/=/g, "=3D").replace(/,/g, "=2C");
    this.clientFirstBare = `n=${user},r=${this.nonce}`;
    return Buffer.from(`n,,${this.clientFirstBare}`, "utf8");
  }

  next(server: Buffer): Buffer | null {
    const text = server.toString("utf8");
    if (this.step++ === 0) return this.clientFinal(text);
    const attrs = parseAttributes(text);
    if (attrs.e) throw fail(`the broker refused: ${attrs.e}`);
    if (!attrs.v || !this.serverSignature) throw fail("the broker's final message has no signature");
    const v = Buffer.from(attrs.v, "base64");
    if (v.length !== this.serverSignature.length || !timingSafeEqual(v, this.serverSignature)) throw fail("the broker's signature does not match: it does not know this password");
    return null;
  }

  private clientFinal(serverFirst: string): Buffer {
    const attrs = parseAttributes(serverFirst);
    const iterations = Number(attrs.i);
    if (!attrs.r?.startsWith(this.nonce) || !attrs.s || !Number.isInteger(iterations) || iterations < 1) throw fail(`unexpected server-first message "${serverFirst}"`);
    const size = this.hash === "sha512" ? 64 : 32;
    const salted = pbkdf2Sync(this.password, Buffer.from(attrs.s, "base64"), iterations, size, this.hash);
    const clientKey = createHmac(this.hash, salted).update("Client Key").digest();
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const withoutProof = `c=biws,r=${attrs.r}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = createHmac(this.hash, storedKey).update(authMessage).digest();
    const proof = Buffer.alloc(size);
    for (let i = 0; i < size; i++) proof[i] = clientKey[i] ^ signature[i];
    const serverKey = createHmac(this.hash, salted).update("Server Key").digest();
    this.serverSignature = createHmac(this.hash, serverKey).update(authMessage).digest();
    return Buffer.from(`${withoutProof},p=${proof.toString("base64")}`, "utf8");
  }
}

function parseAttributes(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}
