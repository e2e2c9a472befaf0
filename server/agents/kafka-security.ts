import { readFileSync } from "node:fs";
import { z } from "zod";
import type { ClientOptions } from "../kafka/client";
import { secret } from "./secret";

/**
 * How the topic source and sink authenticate and encrypt, under Kafka's client property names
 * (Flume: kafka.consumer.* / kafka.producer.* followed by these names). Key and certificate
 * stores are PEM files, as Kafka clients read them with ssl.*.type = PEM: a JKS or PKCS12 store
 * converts with `keytool -importkeystore -deststoretype PKCS12` then `openssl pkcs12 -nodes`.
 */
export const kafkaSecuritySchema = z.object({
  securityProtocol: z.enum(["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]).default("PLAINTEXT").describe("How to reach the brokers (security.protocol): SSL and SASL_SSL encrypt with TLS, SASL_* authenticate with saslMechanism."),
  saslMechanism: z.enum(["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]).default("PLAIN").describe("SASL mechanism (sasl.mechanism) for SASL_PLAINTEXT and SASL_SSL."),
  saslJaasConfig: secret(z.string().min(1)).optional().describe('The SASL login (sasl.jaas.config), e.g. org.apache.kafka.common.security.scram.ScramLoginModule required username="agent" password="…"; PlainLoginModule for PLAIN, ScramLoginModule for SCRAM.'),
  sslTruststoreLocation: z.string().min(1).optional().describe("PEM file of the CA certificates the brokers' certificates are checked against (ssl.truststore.location with ssl.truststore.type = PEM); unset, the system's CAs."),
  sslTruststoreType: z.literal("PEM", { error: "only PEM stores are read; convert a JKS or PKCS12 truststore to PEM (keytool -exportcert -rfc)" }).default("PEM").describe("ssl.truststore.type; PEM only."),
  sslKeystoreLocation: z.string().min(1).optional().describe("PEM file with this client's certificate and unencrypted private key, for brokers that ask for one (ssl.keystore.location with ssl.keystore.type = PEM)."),
  sslKeystoreType: z.literal("PEM", { error: "only PEM stores are read; convert a JKS or PKCS12 keystore to PEM (openssl pkcs12 -nodes)" }).default("PEM").describe("ssl.keystore.type; PEM only."),
});

export type KafkaSecurity = z.infer<typeof kafkaSecuritySchema>;

/** The property names above as Kafka spells them, for the Flume import (`kafka.producer.` or `kafka.consumer.` before each). */
export const KAFKA_SECURITY_PROPERTIES: Record<string, keyof KafkaSecurity> = {
  "security.protocol": "securityProtocol",
  "sasl.mechanism": "saslMechanism",
  "sasl.jaas.config": "saslJaasConfig",
  "ssl.truststore.location": "sslTruststoreLocation",
  "ssl.truststore.type": "sslTruststoreType",
  "ssl.keystore.location": "sslKeystoreLocation",
  "ssl.keystore.type": "sslKeystoreType",
};

/** The embedded broker and the credential it accepts from its own process (Broker.internalCredential). */
export interface LocalKafka {
  bootstrap: string;
  credential?: { mechanism: "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512"; username: string; password: string };
}

const LOGIN_MODULES: Record<KafkaSecurity["saslMechanism"], string> = {
  PLAIN: "org.apache.kafka.common.security.plain.PlainLoginModule",
  "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule",
  "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule",
};

/** `<LoginModule> required key="value" …;` → the module and its options (values quoted, with \" and \\ escapes, or bare). */
function parseJaas(text: string): { module: string; options: Map<string, string> } {
  const m = /^\s*([\w.$]+)\s+required\b([\s\S]*?);?\s*$/.exec(text);
  if (!m) throw new Error('sasl.jaas.config must read `<LoginModule> required username="…" password="…";`');
  const options = new Map<string, string>();
  for (const o of m[2].matchAll(/([\w.]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;"]+))/g)) options.set(o[1], o[2] !== undefined ? o[2].replace(/\\(.)/g, "$1") : o[3]);
  return { module: m[1], options };
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`cannot read the ${what} ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * The TLS and SASL options of a KafkaClient for a component's security properties. Without its own
 * SASL login, a component that reaches the embedded broker signs in with the broker's internal
 * credential, so flows on the console's own agent work when the broker requires SASL.
 */
export function kafkaClientSecurity(c: KafkaSecurity, bootstrap: string[], local?: LocalKafka): Pick<ClientOptions, "tls" | "sasl"> {
  const tls = c.securityProtocol === "SSL" || c.securityProtocol === "SASL_SSL";
  const sasl = c.securityProtocol === "SASL_PLAINTEXT" || c.securityProtocol === "SASL_SSL";
  if (!sasl && c.saslJaasConfig) throw new Error(`saslJaasConfig is set but securityProtocol is ${c.securityProtocol}; use SASL_PLAINTEXT or SASL_SSL`);
  if (!tls && (c.sslTruststoreLocation || c.sslKeystoreLocation)) throw new Error(`an SSL store is set but securityProtocol is ${c.securityProtocol}; use SSL or SASL_SSL`);
  const out: Pick<ClientOptions, "tls" | "sasl"> = {};
  if (tls) {
    const keystore = c.sslKeystoreLocation ? readPem(c.sslKeystoreLocation, "keystore") : undefined;
    out.tls = {
      ...(c.sslTruststoreLocation ? { ca: readPem(c.sslTruststoreLocation, "truststore") } : {}),
      // A PEM keystore holds the certificate chain and the key in one file; TLS picks each by its PEM label.
      ...(keystore ? { cert: keystore, key: keystore } : {}),
    };
  }
  if (sasl) {
    if (!c.saslJaasConfig) throw new Error(`securityProtocol ${c.securityProtocol} needs saslJaasConfig (${LOGIN_MODULES[c.saslMechanism]} required username="…" password="…";)`);
    const { module, options } = parseJaas(c.saslJaasConfig);
    if (module !== LOGIN_MODULES[c.saslMechanism]) throw new Error(`saslMechanism ${c.saslMechanism} signs in with ${LOGIN_MODULES[c.saslMechanism]}, not ${module}`);
    const username = options.get("username");
    const password = options.get("password");
    if (!username || password === undefined) throw new Error("sasl.jaas.config needs username=\"…\" and password=\"…\"");
    out.sasl = { mechanism: c.saslMechanism, username, password };
  } else if (local?.credential && bootstrap.includes(local.bootstrap)) {
    out.sasl = local.credential;
  }
  return out;
}
