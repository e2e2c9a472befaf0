import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { ErrorCode } from "../../kafka/errors";
import { hashOf, type ScramCredential, type ScramMechanismName } from "../security/scram";

export type Mechanism = "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512";

/** Where SASL looks users up: SCRAM credentials, and PLAIN passwords checked against them. */
export interface SaslUsers {
  checkPlain(user: string, password: string): boolean;
  scramCredential(m: ScramMechanismName, user: string): ScramCredential | undefined;
}

export interface SaslStep {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  /** Set once the client is authenticated. */
  principal?: string;
}

/** One connection's SASL exchange: SaslHandshake picks the mechanism, SaslAuthenticate carries the tokens. */
export class SaslAuthenticator {
  private mechanism: Mechanism | undefined;
  private scram: { user: string; cred: ScramCredential; clientFirstBare: string; serverFirst: string; nonce: string } | undefined;

  constructor(
    private mechanisms: Mechanism[],
    private users: SaslUsers,
  ) {}

  handshake(mechanism: string): { errorCode: number; mechanisms: string[] } {
    if (!this.mechanisms.includes(mechanism as Mechanism)) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: this.mechanisms };
    this.mechanism = mechanism as Mechanism;
    this.scram = undefined;
    return { errorCode: ErrorCode.NONE, mechanisms: this.mechanisms };
  }

  authenticate(bytes: Buffer): SaslStep {
    const fail = (msg: string): SaslStep => ({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: msg, authBytes: Buffer.alloc(0) });
    if (!this.mechanism) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: "SaslHandshake must come first", authBytes: Buffer.alloc(0) };
    if (this.mechanism === "PLAIN") {
      // [authzid] NUL authcid NUL passwd (RFC 4616)
      const parts = bytes.toString("utf8").split("\u0000");
      if (parts.length !== 3) return fail("malformed PLAIN token");
      const [authzid, user, password] = parts;
      // Acting as another user is not something this broker grants: the authzid must be empty or the user itself.
      if (authzid && authzid !== user) return fail("Authentication failed: Client requested an authorization id that is different from username");
      if (!this.users.checkPlain(user, password)) return fail(`Authentication failed: Invalid username or password`);
      return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: Buffer.alloc(0), principal: user };
    }
    const text = bytes.toString("utf8");
    const m = this.mechanism;
    if (!this.scram) {
      const match = /^[ny],(?:a=[^,]*)?,(n=([^,]*),r=([^,]+).*)$/.exec(text);
      if (!match) return fail("malformed SCRAM client-first message");
      const user = match[2].replace(/=2C/g, ",").replace(/=3D/g, "=");
      const cred = this.users.scramCredential(m, user);
      if (!cred) return fail("Authentication failed: Invalid username or password");
      const nonce = match[3] + randomBytes(18).toString("base64");
      const serverFirst = `r=${nonce},s=${cred.salt.toString("base64")},i=${cred.iterations}`;
      this.scram = { user, cred, clientFirstBare: match[1], serverFirst, nonce };
      return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: Buffer.from(serverFirst) };
    }
    const s = this.scram;
    this.scram = undefined;
    const match = /^(c=[^,]*,r=([^,]+)(?:,.*)?),p=([^,]+)$/.exec(text);
    // librdkafka 2.0 sends its own nonce again in front of the combined one; Kafka accepts
    // any client-final nonce that ends with the one it issued, and so do we.
    if (!match || !match[2].endsWith(s.nonce)) return fail("malformed SCRAM client-final message or nonce mismatch");
    const authMessage = `${s.clientFirstBare},${s.serverFirst},${match[1]}`;
    const signature = createHmac(hashOf(m), s.cred.storedKey).update(authMessage).digest();
    const proof = Buffer.from(match[3], "base64");
    if (proof.length !== signature.length) return fail("Authentication failed: Invalid username or password");
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i] ^ signature[i];
    if (!timingSafeEqual(createHash(hashOf(m)).update(clientKey).digest(), s.cred.storedKey)) return fail("Authentication failed: Invalid username or password");
    const serverSignature = createHmac(hashOf(m), s.cred.serverKey).update(authMessage).digest("base64");
    return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: Buffer.from(`v=${serverSignature}`), principal: s.user };
  }
}
