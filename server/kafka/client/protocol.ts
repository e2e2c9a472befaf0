import type { ApiSpec } from "../messages";
import type { ApiName } from "../messages.types";
import { decodeResponse, encodeRequest, type RequestInputOf, type ResponseOf } from "../protocol";
import type { BrokerConnection, RequestOptions } from "./connection";

/** One typed request over a connection, at the highest version both sides speak. */
export function call<N extends ApiName>(conn: BrokerConnection, api: ApiSpec<N>, body: NoInfer<RequestInputOf<N>>, o: RequestOptions = {}): Promise<ResponseOf<N>> {
  const version = conn.version(api.key);
  return conn.send(api, version, (w) => encodeRequest(api, version, body, w), (r) => decodeResponse(api, version, r), o);
}

/** Items of a request grouped per topic, in first-seen order: Kafka requests list partitions under their topic. */
export function byTopic<T extends { topic: string }>(items: Iterable<T>): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const list = out.get(it.topic);
    if (list) list.push(it);
    else out.set(it.topic, [it]);
  }
  return out;
}
