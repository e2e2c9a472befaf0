import type { ApiSpec } from "../messages";
import type { ApiName } from "../messages.types";
import { decodeResponse, encodeRequest, type RequestInputOf, type ResponseOf } from "../protocol";
import type { BrokerConnection, RequestOptions } from "./connection";

/** One typed request over a connection, at the highest version both sides speak. */
export function call<N extends ApiName>(conn: BrokerConnection, api: ApiSpec<N>, body: NoInfer<RequestInputOf<N>>, o: RequestOptions = {}): Promise<ResponseOf<N>> {
  const version = conn.version(api.key);
  return conn.send(api, version, (w) => encodeRequest(api, version, body, w), (r) => decodeResponse(api, version, r), o);
}
