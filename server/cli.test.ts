import type { ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { eventually } from "@/server/testing/eventually";
import { tempDirs } from "@/server/testing/temp-dir";
import { freePort, runTributaryToExit } from "@/server/testing/tributary-process";

/** The real `tributary` binary run to its end, as a user would, quiet but for warnings. */
const tributary = (args: string[], env: Record<string, string> = {}, onStart?: (child: ChildProcess) => void) =>
  runTributaryToExit(args, { TRIBUTARY_LOG_LEVEL: "warn", ...env }, onStart);

/** The agent's source is up once its port accepts connections. */
async function connectWhenUp(port: number, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const socket = await new Promise<ReturnType<typeof connect> | undefined>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => resolve(s));
      s.once("error", () => resolve(undefined));
    });
    if (socket) return socket;
    if (Date.now() > until) throw new Error(`nothing listens on port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const tempDir = tempDirs("cli");

describe("tributary command line", () => {
  it("documents every command and flag in --help", async () => {
    const r = await tributary(["--help"]);
    expect(r.code).toBe(0);
    for (const word of ["start", "broker", "agent", "migrate", "--http-port", "TRIBUTARY_HTTP_PORT", "--kafka-port", "--data-dir", "DATABASE_URL", "TRIBUTARY_ADMIN_PASSWORD"]) {
      expect(r.stdout).toContain(word);
    }
  });

  it("exits non-zero with a one-line reason when the HTTP port is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await tributary(["start", "--http-port", String(port), "--kafka-port", "0", "--data-dir", tempDir()]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`tributary: cannot start: HTTP port ${port} on 127.0.0.1 is already in use; stop the other process or set --http-port`);
    } finally {
      blocker.close();
    }
  });

  it("exits non-zero when the data dir is not writable", async () => {
    const file = join(tempDir(), "not-a-dir");
    writeFileSync(file, "");
    const r = await tributary(["start", "--data-dir", join(file, "data")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tributary: cannot start: data dir .*not-a-dir\/data is not writable \(ENOTDIR\); set --data-dir or TRIBUTARY_DATA_DIR\n$/);
  });

  it("exits non-zero when the database cannot be reached", async () => {
    const r = await tributary(["migrate", "--data-dir", tempDir()], { DATABASE_URL: "postgres://postgres:secret@127.0.0.1:1/nowhere" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tributary: cannot start: cannot reach the database at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/nowhere: .+\n$/);
    expect(r.stderr).not.toContain("secret");
  });

  it("migrates the embedded database", async () => {
    const dir = tempDir();
    const r = await tributary(["migrate", "--data-dir", dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`migrations applied to pglite at ${join(dir, "pg")}\n`);
  });

  it("rejects unknown flags and bad values", async () => {
    const unknown = await tributary(["migrate", "--colour", "red"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--colour");
    const bad = await tributary(["start", "--kafka-port", "99999"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^tributary: cannot start: --kafka-port "99999": .*65535/);
  });

  it("runs a standalone agent from an Apache Flume properties file, as flume-ng agent -n -f does", async () => {
    const dir = tempDir();
    const out = join(dir, "out");
    const port = await freePort();
    const conf = join(dir, "agent.properties");
    writeFileSync(
      conf,
      [
        "a1.sources = r1",
        "a1.channels = c1",
        "a1.sinks = k1",
        "a1.sources.r1.type = netcat",
        "a1.sources.r1.bind = 127.0.0.1",
        `a1.sources.r1.port = ${port}`,
        "a1.sources.r1.channels = c1",
        "a1.channels.c1.type = memory",
        "a1.sinks.k1.type = file_roll",
        `a1.sinks.k1.sink.directory = ${out}`,
        "a1.sinks.k1.channel = c1",
      ].join("\n"),
    );
    const r = await tributary(["agent", "--flume-conf", conf, "--name", "a1", "--data-dir", join(dir, "data")], {}, (child) => {
      void feedAndStop(child);
    });
    async function feedAndStop(child: ChildProcess) {
      const conn = await connectWhenUp(port);
      conn.end("hello from flume\nsecond line\n");
      await eventually(() => {
        const files = readdirSync(out, { withFileTypes: true }).filter((f) => f.isFile());
        const text = files.map((f) => readFileSync(join(out, f.name), "utf8")).join("");
        return text.includes("second line") ? text : undefined;
      }).catch(() => undefined);
      child.kill("SIGTERM");
    }
    expect(r.code).toBe(0);
    const text = readdirSync(out).map((f) => readFileSync(join(out, f), "utf8")).join("");
    expect(text).toContain("hello from flume\nsecond line\n");
  });
});

/**
 * Whatever fails at start-up, the process says why in one line and exits 1 at once: nothing it had
 * opened (listeners, a database, half a flow) may keep it alive.
 */
describe("start-up failures exit at once with code 1", { timeout: 120_000 }, () => {
  /** Runs the binary; a process still alive after `limitMs` (time enough to create a database on a busy machine) is killed and fails the test. */
  async function failsFast(args: string[], env: Record<string, string> = {}, limitMs = 90_000) {
    const t0 = Date.now();
    let watchdog: NodeJS.Timeout | undefined;
    const r = await tributary(args, env, (child) => {
      watchdog = setTimeout(() => child.kill("SIGKILL"), limitMs);
    });
    clearTimeout(watchdog);
    expect(Date.now() - t0, "the process had to be killed").toBeLessThan(limitMs);
    return r;
  }
  const blocked: { close(): void }[] = [];
  afterAll(() => blocked.forEach((b) => b.close()));
  async function takenPort(): Promise<number> {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    blocked.push(srv);
    return (srv.address() as { port: number }).port;
  }
  function flumeFile(sourcePort: number): string {
    const conf = join(tempDir(), "agent.properties");
    writeFileSync(conf, [
      "a1.sources = r1", "a1.channels = c1", "a1.sinks = k1",
      "a1.sources.r1.type = netcat", "a1.sources.r1.bind = 127.0.0.1", `a1.sources.r1.port = ${sourcePort}`, "a1.sources.r1.channels = c1",
      "a1.channels.c1.type = file", "a1.sinks.k1.type = logger", "a1.sinks.k1.channel = c1",
    ].join("\n"));
    return conf;
  }

  it("start: an admin password too short", async () => {
    const r = await failsFast(["start", "--data-dir", tempDir(), "--http-port", "0", "--kafka-port", "0"], { TRIBUTARY_ADMIN_PASSWORD: "short" });
    expect(r).toMatchObject({ code: 1, stderr: "tributary: cannot start: TRIBUTARY_ADMIN_PASSWORD (hidden): must be at least 8 characters\n" });
  });

  it("start: the Kafka port taken, after the database was opened and migrated", async () => {
    const port = await takenPort();
    const r = await failsFast(["start", "--data-dir", tempDir(), "--http-port", "0", "--kafka-port", String(port), "--admin-password", "long-enough-1"]);
    expect(r).toMatchObject({ code: 1, stderr: `tributary: cannot start: Kafka port ${port} on 127.0.0.1 is already in use; stop the other process or set --kafka-port\n` });
  });

  it("start and broker: the data dir in use by another live process", async () => {
    const dir = tempDir();
    // This test process stands in for the running Tributary that holds the data dir.
    writeFileSync(join(dir, "tributary.lock"), `${process.pid}\n`);
    const message = `tributary: cannot start: data dir ${dir} is in use by another Tributary (pid ${process.pid}); stop it first or pick another --data-dir (if no such process runs, delete ${join(dir, "tributary.lock")})\n`;
    expect(await failsFast(["start", "--data-dir", dir, "--http-port", "0", "--kafka-port", "0", "--admin-password", "long-enough-1"])).toMatchObject({ code: 1, stderr: message });
    expect(await failsFast(["broker", "--data-dir", dir, "--kafka-port", "0"])).toMatchObject({ code: 1, stderr: message });
  });

  it("broker: the Kafka port taken", async () => {
    const port = await takenPort();
    const r = await failsFast(["broker", "--data-dir", tempDir(), "--kafka-port", String(port)]);
    expect(r).toMatchObject({ code: 1, stderr: `tributary: cannot start: Kafka port ${port} on 127.0.0.1 is already in use; stop the other process or set --kafka-port\n` });
  });

  it("agent: a --flume-conf file that does not exist, and a --config that is not JSON", async () => {
    const missing = join(tempDir(), "nope.properties");
    expect(await failsFast(["agent", "--flume-conf", missing, "--name", "a1"])).toMatchObject({ code: 1, stderr: `cannot read --flume-conf ${missing}: ENOENT\n` });
    const bad = join(tempDir(), "flow.json");
    writeFileSync(bad, "{ sources: ");
    const r = await failsFast(["agent", "--config", bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^--config \S+flow\.json is not JSON \(.+\); write the flow as JSON, or pass a Flume file with --flume-conf\n$/);
  });

  it("agent: a Flume file with no keys for the agent name, and a flow that does not validate", async () => {
    const conf = flumeFile(1);
    expect(await failsFast(["agent", "--flume-conf", conf, "--name", "a2"])).toMatchObject({ code: 1, stderr: 'no properties for agent "a2" (expected keys starting with "a2."); check --name\n' });
    const flow = join(tempDir(), "flow.json");
    writeFileSync(flow, JSON.stringify({ sources: {}, channels: {}, sinks: { k1: { type: "logger", channel: "c9" } } }));
    expect(await failsFast(["agent", "--config", flow])).toMatchObject({ code: 1, stderr: 'invalid flow:\n  sinks.k1.channel: channel "c9" is not defined\n' });
  });

  it("agent: a source whose port is taken, with a file channel and a sink already started", async () => {
    const port = await takenPort();
    const dir = tempDir();
    const r = await failsFast(["agent", "--flume-conf", flumeFile(port), "--name", "a1", "--data-dir", join(dir, "data")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^source r1 failed to start: listen EADDRINUSE: address already in use 127\\.0\\.0\\.1:${port}; another process listens on that port: pick another port or stop it\n$`));
  });

  it("agent: the metrics port taken, after the flow started", async () => {
    const metrics = await takenPort();
    const source = await freePort();
    const r = await failsFast(["agent", "--flume-conf", flumeFile(source), "--name", "a1", "--data-dir", join(tempDir(), "data"), "--metrics-port", String(metrics)]);
    expect(r).toMatchObject({ code: 1, stderr: `cannot serve metrics on --metrics-port ${metrics}: another process listens there; pick another port\n` });
    // The flow it had started was stopped: its source port is free again.
    const probe = createServer();
    await new Promise<void>((resolve, reject) => probe.once("error", reject).listen(source, "127.0.0.1", resolve));
    probe.close();
  });
});

/** GET / as a browser asks for it; undefined while nothing listens. */
function browse(port: number): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    request({ host: "127.0.0.1", port, path: "/", headers: { accept: "text/html" } }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on("error", () => resolve(undefined))
      .end();
  });
}

describe("a start in progress", { timeout: 120_000 }, () => {
  it("answers on its HTTP port at once with a page saying what it does, and stops promptly on SIGTERM", async () => {
    const port = await freePort();
    let child: ChildProcess | undefined;
    const done = tributary(["start", "--data-dir", tempDir(), "--http-port", String(port), "--kafka-port", "0", "--admin-password", "long-enough-1"], {}, (c) => (child = c));
    let answer: { status: number; body: string } | undefined;
    for (const until = Date.now() + 30_000; !answer && Date.now() < until; ) {
      answer = await browse(port);
      if (!answer) await new Promise((r) => setTimeout(r, 20));
    }
    expect(answer).toMatchObject({ status: 503, body: expect.stringContaining("Tributary is starting") as unknown });
    // Past the database (whose creation is left to finish, so a stop never leaves it half made),
    // the console is built or loaded: the slow part a stop must not wait for.
    // (A start that finished meanwhile is stopped all the same.)
    while (answer?.status !== 503 || !/Building the console|Loading the console/.test(answer.body)) {
      await new Promise((r) => setTimeout(r, 50));
      answer = (await browse(port)) ?? answer;
      if (answer && answer.status !== 503) break;
    }
    const signalled = Date.now();
    child!.kill("SIGTERM");
    const r = await done;
    expect(Date.now() - signalled).toBeLessThan(15_000);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("cannot start");
  });
});
