import { z } from "zod";

const pem = z.union([z.string(), z.instanceof(Buffer)]);

/** Everything a KafkaClient is configured with, checked once when it is made. */
export const clientOptionsSchema = z.object({
  /** host:port of one or more brokers; the rest are learnt from Metadata. */
  bootstrap: z.array(z.string().regex(/^.+:\d+$/, "a bootstrap server is host:port")).min(1, "name at least one bootstrap server (host:port)"),
  clientId: z.string().default("tributary"),
  tls: z
    .union([
      z.boolean(),
      z.object({
        ca: z.union([pem, z.array(pem)]).optional(),
        cert: pem.optional(),
        key: pem.optional(),
        servername: z.string().optional(),
        rejectUnauthorized: z.boolean().optional(),
      }),
    ])
    .default(false),
  sasl: z
    .object({
      mechanism: z.enum(["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]),
      username: z.string().min(1),
      password: z.string(),
    })
    .optional(),
  connectTimeoutMs: z.number().int().positive().default(10_000),
  /** How long a request may wait for its answer (a long-polling Fetch adds its max wait). */
  requestTimeoutMs: z.number().int().positive().default(30_000),
  /** Attempts after the first for a request that failed retriably (leader moved, connection lost). */
  retries: z.number().int().min(0).default(5),
  /** First wait before a retry or reconnect; doubles per failure up to retryBackoffMaxMs, with jitter. */
  retryBackoffMs: z.number().int().positive().default(100),
  retryBackoffMaxMs: z.number().int().positive().default(1000),
  /** Cached topic metadata older than this is read again. */
  metadataMaxAgeMs: z.number().int().positive().default(300_000),
  /** Unanswered requests per connection; more wait their turn. */
  maxInFlight: z.number().int().positive().default(16),
  /** A response frame larger than this closes the connection rather than being buffered. */
  maxResponseBytes: z.number().int().positive().default(256 * 1024 * 1024),
});

export type ClientOptions = z.input<typeof clientOptionsSchema>;
export type ResolvedClientOptions = z.output<typeof clientOptionsSchema>;
