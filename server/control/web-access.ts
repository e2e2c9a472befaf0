import type { IncomingMessage } from "node:http";
import { BlockList, isIP } from "node:net";

/** What a request looks like from the browser's side, once trusted proxies are accounted for. */
export interface RequestView {
  /** The client's address: the peer, or the client a trusted proxy names in X-Forwarded-For. */
  clientAddress: string | undefined;
  /** The browser reached the console over HTTPS: a https public URL, or a trusted proxy says so. */
  https: boolean;
  /** Origins that are this console: the public URL's, and the one the request itself was addressed to. */
  origins: string[];
}

/** `::ffff:127.0.0.1` is how Node reports an IPv4 peer on a dual-stack socket. */
function plainAddress(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** An address or CIDR range (10.0.0.0/8, fd00::/8) as --trusted-proxies takes it; undefined when malformed. */
export function parseProxyEntry(entry: string): { address: string; prefix?: number; family: "ipv4" | "ipv6" } | undefined {
  const [address = "", prefix, extra] = entry.trim().split("/");
  const v = isIP(address);
  if (!v || extra !== undefined) return undefined;
  const family = v === 4 ? "ipv4" : "ipv6";
  if (prefix === undefined) return { address, family };
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits <= (v === 4 ? 32 : 128) ? { address, prefix: bits, family } : undefined;
}

const first = (header: string | string[] | undefined): string | undefined => (Array.isArray(header) ? header[0] : header)?.split(",")[0]?.trim() || undefined;

/**
 * How browsers reach this console: directly, or through reverse proxies. Only a proxy listed in
 * --trusted-proxies is believed about the client (X-Forwarded-For), the scheme (X-Forwarded-Proto)
 * and the host the browser asked for (X-Forwarded-Host); anyone else could forge those headers.
 */
export class WebAccess {
  readonly publicOrigin: string | undefined;
  private readonly proxies = new BlockList();
  private readonly anyProxy: boolean;

  constructor(opts: { publicUrl?: string; trustedProxies?: readonly string[] } = {}) {
    this.publicOrigin = opts.publicUrl ? new URL(opts.publicUrl).origin : undefined;
    for (const raw of opts.trustedProxies ?? []) {
      const e = parseProxyEntry(raw);
      if (!e) throw new Error(`trusted proxy "${raw}" is not an address or CIDR range`);
      if (e.prefix === undefined) this.proxies.addAddress(e.address, e.family);
      else this.proxies.addSubnet(e.address, e.prefix, e.family);
    }
    this.anyProxy = (opts.trustedProxies ?? []).length > 0;
  }

  private trusted(address: string | undefined): boolean {
    if (!this.anyProxy || !address) return false;
    const a = plainAddress(address);
    const v = isIP(a);
    return v !== 0 && this.proxies.check(a, v === 4 ? "ipv4" : "ipv6");
  }

  /** The nearest address in X-Forwarded-For that is not one of our proxies: the client as the outermost trusted proxy saw it. */
  private forwardedClient(header: string | string[] | undefined): string | undefined {
    const hops = (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",").map((h) => h.trim()).filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) if (!this.trusted(hops[i]) || i === 0) return plainAddress(hops[i]);
    return undefined;
  }

  view(req: IncomingMessage): RequestView {
    const peer = req.socket.remoteAddress;
    const viaProxy = this.trusted(peer);
    const proto = (viaProxy && first(req.headers["x-forwarded-proto"])?.toLowerCase()) || "http";
    const host = (viaProxy && first(req.headers["x-forwarded-host"])) || req.headers.host;
    const origins = [this.publicOrigin, host ? `${proto}://${host}` : undefined].filter((o): o is string => o !== undefined);
    return {
      clientAddress: (viaProxy && this.forwardedClient(req.headers["x-forwarded-for"])) || (peer && plainAddress(peer)),
      https: this.publicOrigin?.startsWith("https:") === true || proto === "https",
      origins,
    };
  }

  /**
   * Why a state-changing request must be refused as coming from another site, or undefined when
   * it comes from the console's own pages. Browsers send Origin on every POST; older ones may send
   * only Referer or Sec-Fetch-Site. A request with none of them is not from a browser (a script
   * or the CLI) and carries no victim's cookie, so it is left to the session check.
   */
  crossSiteReason(req: IncomingMessage, view: RequestView): string | undefined {
    const origin = first(req.headers.origin);
    if (origin) return view.origins.includes(origin) ? undefined : `Origin ${origin}`;
    const referer = first(req.headers.referer);
    if (referer) {
      const from = URL.canParse(referer) ? new URL(referer).origin : referer;
      return view.origins.includes(from) ? undefined : `Referer ${from}`;
    }
    const site = first(req.headers["sec-fetch-site"]);
    if (site && site !== "same-origin" && site !== "none") return `Sec-Fetch-Site ${site}`;
    return undefined;
  }
}
