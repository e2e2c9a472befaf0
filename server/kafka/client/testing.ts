import { createServer as createNetServer, connect, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { afterAll, beforeAll } from "vitest";
import type { BrokerOptions } from "../../broker/broker";
import { startTestBroker } from "../../broker/compat/harness";
import { Framer, withSize } from "../framing";
import { KafkaClient } from "./index";

export type TestBroker = Awaited<ReturnType<typeof startTestBroker>>;

/** A broker in a temp dir and a client of it for a whole test file, handed to `use` once both run. */
export function withBrokerAndClient(options: Partial<BrokerOptions>, clientId: string, use: (env: { t: TestBroker; client: KafkaClient }) => void): void {
  let env: { t: TestBroker; client: KafkaClient } | undefined;
  beforeAll(async () => {
    const t = await startTestBroker(options);
    env = { t, client: new KafkaClient({ bootstrap: [t.bootstrap], clientId }) };
    use(env);
  });
  afterAll(async () => {
    await env?.client.close();
    await env?.t.stop();
  });
}

/**
 * A TCP (or TLS-terminating) proxy in front of a broker, for tests: it forwards bytes both ways
 * and, when told, cuts the connection after a request of a given API reached the broker but
 * before its answer gets back — the case a client must retry without duplicating.
 */
export interface TestProxy {
  port: number;
  address: string;
  /** Sets where connections go (the broker may start after the proxy, to advertise its port). */
  target(hostPort: string): void;
  /** The next request of this API key is forwarded, its response swallowed, and the connection closed. */
  dropOnNext(apiKey: number): void;
  dropped: number;
  /** The most requests of one connection that reached the broker before their answers came back. */
  maxOutstanding: number;
  close(): Promise<void>;
}

export async function startTestProxy(opts: { tls?: { key: string; cert: string } } = {}): Promise<TestProxy> {
  let target = { host: "127.0.0.1", port: 0 };
  let dropKey: number | null = null;
  const sockets = new Set<Socket>();
  const proxy: TestProxy = {
    port: 0,
    address: "",
    target(hostPort) {
      const i = hostPort.lastIndexOf(":");
      target = { host: hostPort.slice(0, i), port: Number(hostPort.slice(i + 1)) };
    },
    dropOnNext(apiKey) {
      dropKey = apiKey;
    },
    dropped: 0,
    maxOutstanding: 0,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const onClient = (client: Socket) => {
    const upstream = connect(target);
    sockets.add(client).add(upstream);
    let swallow = false;
    let outstanding = 0;
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    // Forward whole frames only, so a drop happens at a request boundary.
    const requests = new Framer({
      refuse: cut,
      frame: (frame) => {
        if (dropKey !== null && frame.readInt16BE(0) === dropKey) {
          dropKey = null;
          swallow = true;
          proxy.dropped++;
        }
        outstanding++;
        proxy.maxOutstanding = Math.max(proxy.maxOutstanding, outstanding);
        upstream.write(withSize(frame));
      },
    });
    const responses = new Framer({ refuse: cut, frame: () => void outstanding-- });
    client.on("data", (d: Buffer) => requests.push(d));
    upstream.on("data", (d: Buffer) => {
      if (swallow) return cut();
      responses.push(d);
      client.write(d);
    });
    client.on("error", cut);
    upstream.on("error", cut);
    client.on("close", cut);
    upstream.on("close", cut);
  };
  const server: Server = opts.tls ? createTlsServer({ key: opts.tls.key, cert: opts.tls.cert }, onClient) : createNetServer(onClient);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  proxy.port = (server.address() as { port: number }).port;
  proxy.address = `127.0.0.1:${proxy.port}`;
  return proxy;
}
