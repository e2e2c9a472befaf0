import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from "amqplib";
import { ConsumeCount, LatencyCollector, makeValue, packageVersion, pidOf, PeerUnavailableError, timed, Window, PeerClient, type PeerSystem, type PhaseResult, type Workload } from "./workload";

const URL = "amqp://guest:guest@127.0.0.1:5672";
/** Publishes awaiting their confirm. */
const CONFIRM_WINDOW = 8_192;
/** Stream queues require a prefetch; it bounds unacknowledged deliveries per consumer. */
const PREFETCH = 5_000;
/** Deliveries acknowledged with one multiple-ack. */
const ACK_EVERY = 1_000;
const DRAIN_TIMEOUT_MS = 60_000;

/**
 * RabbitMQ stream queue (x-queue-type=stream) over AMQP 0.9.1 with publisher confirms. This needs
 * stream queue support in the server (3.9+), not the stream protocol plugin; the stream protocol
 * and its client are faster, but AMQP 0.9.1 is what the server here offers without plugins.
 */
export function rabbitmqStream(): PeerSystem {
  const peer = new PeerClient<ChannelModel>("RabbitMQ");

  async function withQueue<T>(work: (queue: string) => Promise<T>): Promise<T> {
    const queue = peer.scratchName();
    const admin = await peer.use().createChannel();
    await admin.assertQueue(queue, { durable: true, arguments: { "x-queue-type": "stream" } });
    try {
      return await work(queue);
    } finally {
      await admin.deleteQueue(queue);
      await admin.close();
    }
  }

  async function publisher(queue: string) {
    const ch = await peer.use().createConfirmChannel();
    const window = new Window(CONFIRM_WINDOW);
    const onConfirm = (err: unknown) => (err ? window.fail(new Error(`RabbitMQ nacked a publish: ${err instanceof Error ? err.message : JSON.stringify(err)}`)) : window.release());
    return {
      async send(values: Buffer[]): Promise<void> {
        for (const v of values) {
          await window.acquire();
          if (!ch.sendToQueue(queue, v, {}, onConfirm)) await new Promise((r) => ch.once("drain", r));
        }
      },
      async finish(): Promise<void> {
        await window.drain();
        await ch.close();
      },
    };
  }

  /** Reads the stream from its first offset, acknowledging in bulk, until `count` deliveries arrived. */
  async function consumer(queue: string, count: number, onValue: (v: Buffer) => void) {
    const ch: Channel = await peer.use().createChannel();
    await ch.prefetch(PREFETCH);
    let received = 0;
    let done: () => void = () => {};
    const finished = new Promise<void>((r) => (done = r));
    const { consumerTag } = await ch.consume(
      queue,
      (msg: ConsumeMessage | null) => {
        if (!msg) return;
        onValue(msg.content);
        received++;
        if (received % ACK_EVERY === 0 || received === count) ch.ack(msg, true);
        if (received === count) done();
      },
      { noAck: false, arguments: { "x-stream-offset": "first" } },
    );
    return {
      finished,
      async close() {
        await ch.cancel(consumerTag);
        await ch.close();
      },
    };
  }

  return {
    id: "rabbitmq",
    name: "RabbitMQ stream queue",
    client: `${packageVersion("amqplib")} (AMQP 0.9.1)`,
    server: "not reached",
    durability:
      "stream queue (durable, 1 node) with publisher confirms: confirmed once written to the stream's segment file; streams do not fsync per message",
    settings: `confirm channel, ${CONFIRM_WINDOW} unconfirmed in flight; consumer prefetch ${PREFETCH}, multiple-ack every ${ACK_EVERY}`,

    async probe() {
      peer.serverPid = await pidOf("beam.smp");
      try {
        peer.client = await amqp.connect(URL, { timeout: 3_000 });
        this.server = `RabbitMQ ${String(peer.client.connection.serverProperties.version ?? "(version unknown)")}`;
        peer.client.on("error", () => {
          // Errors also reject the pending operation that caused them, which reports them.
        });
      } catch (err) {
        peer.client = null;
        throw new PeerUnavailableError(`RabbitMQ at ${URL.replace(/\/\/.*@/, "//")} not reachable: ${(err as Error).message}`);
      }
      try {
        await withQueue(async () => {});
      } catch (err) {
        throw new PeerUnavailableError(`RabbitMQ does not accept a stream queue (needs 3.9+): ${(err as Error).message}`);
      }
    },

    async produceConsume(w: Workload) {
      return withQueue(async (queue) => {
        const value = makeValue();
        const values = new Array<Buffer>(w.records).fill(value);
        const produce = await timed(async () => {
          const p = await publisher(queue);
          await p.send(values);
          await p.finish();
        }, peer.serverPid);
        let c: Awaited<ReturnType<typeof consumer>> | undefined;
        let consume: PhaseResult;
        try {
          consume = await timed(async () => {
            const count = new ConsumeCount(w.records, "RabbitMQ");
            c = await consumer(queue, w.records, (v) => count.one(v.length));
            await count.finished;
          }, peer.serverPid);
        } finally {
          await c?.close();
        }
        return { produce, consume };
      });
    },

    async latency(w: Workload) {
      return withQueue(async (queue) => {
        const collector = new LatencyCollector(w);
        const c = await consumer(queue, collector.total, (v) => collector.onValue(v));
        try {
          return await collector.pacedRun(await publisher(queue), DRAIN_TIMEOUT_MS);
        } finally {
          await c.close();
        }
      });
    },

    async close() {
      await peer.client?.close();
      peer.client = null;
    },
  };
}
