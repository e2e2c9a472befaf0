import { connect, createInbox, StorageType, type NatsConnection, type JsMsg } from "nats";
import { ConsumeCount, LatencyCollector, makeValue, packageVersion, pidOf, PeerUnavailableError, timed, Window, PeerClient, type PeerSystem, type Workload } from "./workload";

const SERVER = "127.0.0.1:4222";
/** Publishes awaiting their PubAck; enough to keep the server busy without an unbounded backlog. */
const PUBLISH_WINDOW = 8_192;
/** Messages per pull request of the ordered consumer. */
const PULL_BATCH = 10_000;
const DRAIN_TIMEOUT_MS = 60_000;

/**
 * NATS JetStream with file storage. Publishing uses the asynchronous pattern of the official
 * clients' "async publish": every message is a core publish with a reply inbox, acks are counted
 * on one subscription, so there is no per-message promise and no round trip per message.
 */
export function natsJetStream(): PeerSystem {
  const peer = new PeerClient<NatsConnection>("NATS");

  async function withStream<T>(work: (name: string, subject: string) => Promise<T>): Promise<T> {
    const name = peer.scratchName("_");
    const subject = `${name}.records`;
    const jsm = await peer.use().jetstreamManager();
    // max_age etc. left at defaults; file storage with one replica is JetStream's durable single-node setup.
    await jsm.streams.add({ name, subjects: [subject], storage: StorageType.File, num_replicas: 1 });
    try {
      return await work(name, subject);
    } finally {
      await jsm.streams.delete(name);
    }
  }

  /** Publishes values with a reply inbox; resolves once every PubAck is in. */
  function publisher(subject: string) {
    const c = peer.use();
    const inbox = createInbox();
    const window = new Window(PUBLISH_WINDOW);
    let acked = 0;
    let expected = 0;
    let allAcked: () => void = () => {};
    const sub = c.subscribe(inbox, {
      callback: (err, msg) => {
        if (err) return window.fail(err);
        // A JetStream ack is {"stream":…,"seq":…}; an error reply carries "error".
        if (msg.data.length > 2 && msg.data[2] === 0x65 /* "e" of "error" */) {
          return window.fail(new Error(`JetStream rejected a publish: ${msg.string()}`));
        }
        acked++;
        window.release();
        if (acked === expected) allAcked();
      },
    });
    return {
      async send(values: Buffer[]): Promise<void> {
        for (const v of values) {
          await window.acquire();
          expected++;
          c.publish(subject, v, { reply: inbox });
        }
      },
      async finish(): Promise<void> {
        if (acked < expected) await new Promise<void>((r) => (allAcked = r));
        await window.drain();
        sub.unsubscribe();
      },
    };
  }

  return {
    id: "nats",
    name: "NATS JetStream",
    client: packageVersion("nats"),
    server: "not reached",
    durability:
      "file storage, 1 replica; PubAck after the write reaches the OS page cache, fsync on the server's sync interval (default 2 min)",
    settings: `async publish with reply inbox, ${PUBLISH_WINDOW} unacknowledged in flight; ordered pull consumer, ${PULL_BATCH} messages per pull`,

    async probe() {
      peer.serverPid = await pidOf("nats-server");
      try {
        peer.client = await connect({ servers: SERVER, timeout: 3_000, reconnect: false });
        const jsm = await peer.client.jetstreamManager();
        await jsm.getAccountInfo();
        this.server = `nats-server ${peer.client.info?.version ?? "(version unknown)"}`;
      } catch (err) {
        await peer.client?.close().catch(() => {});
        peer.client = null;
        throw new PeerUnavailableError(`NATS JetStream at ${SERVER} not reachable: ${(err as Error).message}`);
      }
    },

    async produceConsume(w: Workload) {
      return withStream(async (name, subject) => {
        const value = makeValue();
        const values = new Array<Buffer>(w.records).fill(value);
        const produce = await timed(async () => {
          const p = publisher(subject);
          await p.send(values);
          await p.finish();
        }, peer.serverPid);
        const consume = await timed(async () => {
          const consumer = await peer.use().jetstream().consumers.get(name);
          const count = new ConsumeCount(w.records, "NATS");
          const messages = await consumer.consume({ max_messages: PULL_BATCH, callback: (m: JsMsg) => count.one(m.data.length) });
          try {
            await count.finished;
          } finally {
            await messages.close();
          }
        }, peer.serverPid);
        return { produce, consume };
      });
    },

    async latency(w: Workload) {
      return withStream(async (name, subject) => {
        const collector = new LatencyCollector(w);
        const consumer = await peer.use().jetstream().consumers.get(name);
        const messages = await consumer.consume({ max_messages: PULL_BATCH, callback: (m: JsMsg) => collector.onValue(m.data) });
        try {
          return await collector.pacedRun(publisher(subject), DRAIN_TIMEOUT_MS);
        } finally {
          await messages.close();
        }
      });
    },

    async close() {
      await peer.client?.drain();
      peer.client = null;
    },
  };
}
