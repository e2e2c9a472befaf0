import { APIS } from "../../kafka/messages";
import { registerClusterHandlers } from "./cluster";
import { registerConfigHandlers } from "./configs";
import type { BrokerContext } from "./context";
import { registerFetchHandlers } from "./fetch";
import { registerGroupHandlers } from "./groups";
import { registerProduceHandlers } from "./produce";
import { HandlerRegistry } from "./registry";
import { registerSaslHandlers } from "./sasl";
import { registerTopicHandlers } from "./topics";
import { registerTransactionHandlers } from "./transactions";

/** The broker's handler of every API declared in server/kafka/messages.ts; one without a handler is a start-up error. */
export function brokerHandlers(b: BrokerContext): HandlerRegistry {
  const registry = new HandlerRegistry();
  registerClusterHandlers(registry, b);
  registerSaslHandlers(registry);
  registerProduceHandlers(registry, b);
  registerFetchHandlers(registry, b);
  registerTopicHandlers(registry, b);
  registerConfigHandlers(registry, b);
  registerGroupHandlers(registry, b);
  registerTransactionHandlers(registry, b);
  const unhandled = [...APIS.values()].filter((api) => !registry.route(api.key)).map((api) => api.name);
  if (unhandled.length) throw new Error(`no broker handler for ${unhandled.join(", ")}: register one in server/broker/handlers/`);
  return registry;
}
