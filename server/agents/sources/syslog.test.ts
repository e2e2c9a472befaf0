import { createSocket } from "node:dgram";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { FlowRuntime } from "../runtime";
import type { SyslogTcpSource, SyslogUdpSource } from "./syslog";
import { parseSyslog } from "./syslog-parse";

it("parses RFC 5424 and RFC 3164 into Flume's headers; marks anything else Invalid", () => {
  const a = parseSyslog('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] An application event');
  expect(a.headers).toEqual({ Facility: "20", Severity: "5", timestamp: String(Date.UTC(2003, 9, 11, 22, 14, 15, 3)), host: "mymachine.example.com", appName: "evntslog", msgId: "ID47", structuredData: '[exampleSDID@32473 iut="3"]' });
  expect(a.body.toString()).toBe("An application event");
  const b = parseSyslog("<34>Oct 11 22:14:15 mymachine su: 'su root' failed", new Date(2024, 11, 1));
  expect(b.headers).toMatchObject({ Facility: "4", Severity: "2", host: "mymachine", timestamp: String(new Date(2024, 9, 11, 22, 14, 15).getTime()) });
  expect(b.body.toString()).toBe("su: 'su root' failed");
  expect(parseSyslog("hello").headers).toEqual({ "flume.syslog.status": "Invalid" });
});

it("syslogtcp and syslogudp sources put parsed messages into the channel", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tributary-syslog-"));
  const rt = new FlowRuntime({
    name: "s",
    sources: {
      t: { type: "syslogtcp", host: "127.0.0.1", port: 0, channels: ["c1"] },
      u: { type: "syslogudp", host: "127.0.0.1", port: 0, channels: ["c1"] },
    },
    channels: { c1: { type: "memory", capacity: 1000 } },
    sinks: {},
  }, { agent: "a1", dataDir: dir });
  try {
    await rt.start();
    const sock = connect((rt.source("t") as SyslogTcpSource).port, "127.0.0.1");
    sock.write(Array.from({ length: 20 }, (_, i) => `<13>1 2024-01-02T03:04:05Z h1 app - - - tcp ${i}\n`).join(""));
    const udp = createSocket("udp4");
    udp.send("<14>Jan  2 03:04:05 h2 udp message", (rt.source("u") as SyslogUdpSource).port, "127.0.0.1");
    const end = Date.now() + 20_000;
    while (rt.channel("c1")!.size() < 21 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    sock.end();
    udp.close();
    const tx = rt.channel("c1")!.begin();
    const got = tx.take(100);
    await tx.commit();
    const bodies = got.map((e) => e.body.toString());
    expect(bodies.filter((b) => b.startsWith("tcp "))).toEqual(Array.from({ length: 20 }, (_, i) => `tcp ${i}`));
    expect(got.find((e) => e.body.toString() === "udp message")!.headers).toMatchObject({ host: "h2", Facility: "1", Severity: "6" });
  } finally {
    await rt.stop();
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
