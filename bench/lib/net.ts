import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";

/** A loopback port that was free a moment ago, for a server started in another process. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  const { port } = srv.address() as AddressInfo;
  srv.close();
  await once(srv, "close");
  return port;
}
