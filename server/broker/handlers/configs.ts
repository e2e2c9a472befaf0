import { ConfigOperation, ConfigResourceType, ConfigSource, ConfigType } from "../../kafka/constants";
import { ErrorCode, KafkaError } from "../../kafka/errors";
import { Apis } from "../../kafka/messages";
import type { RequestOf, ResponseInputOf } from "../../kafka/protocol";
import { TOPIC_CONFIGS, type ConfigKind } from "../log/configs";
import type { AlterOp } from "../log/log-manager";
import { mapInSlices } from "../protocol/slices";
import { errorMessage, note, type BrokerContext } from "./context";
import type { HandlerRegistry } from "./registry";

type DescribedConfig = ResponseInputOf<"DescribeConfigs">["results"][number]["configs"][number];
type AlterResponses = ResponseInputOf<"AlterConfigs">["responses"];

/** DescribeConfigs v3+ config types of our config kinds. */
const CONFIG_TYPES: Record<ConfigKind, number> = { boolean: ConfigType.BOOLEAN, string: ConfigType.STRING, int: ConfigType.INT, long: ConfigType.LONG, double: ConfigType.DOUBLE };

const OPERATIONS: Record<number, AlterOp["op"]> = { [ConfigOperation.SET]: "set", [ConfigOperation.DELETE]: "delete", [ConfigOperation.APPEND]: "append", [ConfigOperation.SUBTRACT]: "subtract" };

/** DescribeConfigs, AlterConfigs and IncrementalAlterConfigs: topic configs, and the broker's (read-only). */
export function registerConfigHandlers(registry: HandlerRegistry, b: BrokerContext): void {
  registry.register(Apis.DescribeConfigs, (req) => describeConfigs(b, req));
  registry.register(Apis.AlterConfigs, async (req) => ({
    responses: await alterTopics(req.resources, (r) => b.logs.alterConfigs(r.resourceName, Object.fromEntries(r.configs.map((c) => [c.name, c.value])), req.validateOnly)),
  }));
  registry.register(Apis.IncrementalAlterConfigs, async (req) => ({
    responses: await alterTopics(req.resources, (r) =>
      b.logs.incrementalAlterConfigs(
        r.resourceName,
        r.configs.map((c) => {
          const op = OPERATIONS[c.configOperation];
          if (!op) throw new KafkaError(ErrorCode.INVALID_REQUEST, `unknown config operation ${c.configOperation}`);
          return { name: c.name, op, value: c.value };
        }),
        req.validateOnly,
      ),
    ),
  }));
}

/** The broker's configs as DescribeConfigs shows them for the broker resource (read-only here). */
function brokerConfigs(b: BrokerContext): Record<string, string> {
  return {
    "broker.id": String(b.nodeId),
    "auto.create.topics.enable": String(b.autoCreateTopics),
    "num.partitions": String(b.numPartitions),
    "default.replication.factor": String(b.cluster?.defaultReplicationFactor() ?? 1),
    "offsets.topic.replication.factor": "1",
    "advertised.listeners": `PLAINTEXT://${b.advertisedHost}:${b.advertisedPort()}`,
  };
}

async function describeConfigs(b: BrokerContext, req: RequestOf<"DescribeConfigs">): Promise<ResponseInputOf<"DescribeConfigs">> {
  return {
    results: await mapInSlices(req.resources, (r) => {
      const keys = r.configurationKeys;
      const pick = (name: string) => !keys || keys.length === 0 || keys.includes(name);
      try {
        let configs: DescribedConfig[];
        if (r.resourceType === ConfigResourceType.TOPIC) {
          configs = b.logs
            .describeConfigs(r.resourceName)
            .filter((c) => pick(c.name))
            .map((c) => {
              const source = c.isDefault ? ConfigSource.DEFAULT_CONFIG : ConfigSource.TOPIC_CONFIG;
              const kind = TOPIC_CONFIGS[c.name]?.kind;
              return {
                name: c.name,
                value: c.value,
                readOnly: c.readOnly,
                isDefault: c.isDefault,
                configSource: source,
                isSensitive: false,
                synonyms: req.includeSynonyms ? [{ name: c.name, value: c.value, source }] : [],
                configType: kind ? CONFIG_TYPES[kind] : ConfigType.UNKNOWN,
                documentation: req.includeDocumentation ? c.doc : null,
              };
            });
        } else if (r.resourceType === ConfigResourceType.BROKER) {
          configs = Object.entries(brokerConfigs(b))
            .filter(([name]) => pick(name))
            .map(([name, value]) => ({ name, value, readOnly: true, isDefault: false, configSource: ConfigSource.STATIC_BROKER_CONFIG, isSensitive: false, synonyms: [], configType: ConfigType.UNKNOWN, documentation: null }));
        } else {
          throw new KafkaError(ErrorCode.INVALID_REQUEST, `resource type ${r.resourceType} is not supported`);
        }
        return { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs };
      } catch (err) {
        return { errorCode: note(err, "describe configs"), errorMessage: errorMessage(err), resourceType: r.resourceType, resourceName: r.resourceName, configs: [] };
      }
    }),
  };
}

/** Applies each resource's change in turn; only topics' configs can be altered on this broker. */
async function alterTopics<R extends { resourceType: number; resourceName: string }>(resources: R[], apply: (r: R) => Promise<void>): Promise<AlterResponses> {
  const responses = [];
  for (const r of resources) {
    try {
      if (r.resourceType !== ConfigResourceType.TOPIC) throw new KafkaError(ErrorCode.INVALID_REQUEST, "only topic configs can be altered on this broker");
      await apply(r);
      responses.push({ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName });
    } catch (err) {
      responses.push({ errorCode: note(err, "alter configs"), errorMessage: errorMessage(err), resourceType: r.resourceType, resourceName: r.resourceName });
    }
  }
  return responses;
}
