import { ErrorCode } from "../../kafka/errors";
import { Apis } from "../../kafka/messages";
import type { HandlerRegistry } from "./registry";

/**
 * SaslHandshake and SaslAuthenticate. A connection still authenticating has a SASL session and
 * the exchange is its own; without one (SASL off, or already authenticated) there is nothing to
 * negotiate, and the answers say so.
 */
export function registerSaslHandlers(registry: HandlerRegistry): void {
  registry.register(Apis.SaslHandshake, (req, info) => info.sasl?.handshake(req.mechanism, info.apiVersion) ?? { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: [] });
  registry.register(Apis.SaslAuthenticate, (req, info) => info.sasl?.authenticate(req.authBytes) ?? { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: "SASL is not enabled on this listener", authBytes: Buffer.alloc(0) });
}
