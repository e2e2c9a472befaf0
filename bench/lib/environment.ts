import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import os from "node:os";
import { promisify } from "node:util";

const run = promisify(execFile);

/** What a reader needs to judge a figure: the machine, the runtime and the disk under the data dir. */
export interface Environment {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  loadAverage1m: number;
  os: string;
  node: string;
  dataDir: string;
  disk: { device: string; filesystem: string; sizeBytes: number; availableBytes: number } | { error: string };
  capturedAt: string;
}

export async function captureEnvironment(dataDir: string): Promise<Environment> {
  const cpus = os.cpus();
  return {
    cpuModel: await cpuModel(cpus[0]?.model),
    cores: cpus.length,
    memoryBytes: os.totalmem(),
    loadAverage1m: os.loadavg()[0],
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    dataDir,
    disk: await diskOf(dataDir),
    capturedAt: new Date().toISOString(),
  };
}

/** os.cpus() can report an empty or generic model inside VMs; lscpu is the same source users quote. */
async function cpuModel(fromNode: string | undefined): Promise<string> {
  try {
    const { stdout } = await run("lscpu", [], { timeout: 5_000 });
    const line = stdout.split("\n").find((l) => l.startsWith("Model name:"));
    if (line) return line.slice("Model name:".length).trim();
  } catch {
    // lscpu is absent on some systems (macOS); fall back to Node's report below.
  }
  return fromNode?.trim() || "unknown";
}

/** `df -PT` names the device and filesystem type that actually holds the directory. */
async function diskOf(dir: string): Promise<Environment["disk"]> {
  try {
    const { stdout } = await run("df", ["-PTk", dir], { timeout: 5_000 });
    const fields = stdout.trim().split("\n")[1]?.split(/\s+/) ?? [];
    if (fields.length < 6) return { error: `unexpected df output: ${stdout.trim()}` };
    const device = fields[0];
    return {
      device: await describeDevice(device),
      filesystem: fields[1],
      sizeBytes: Number(fields[2]) * 1024,
      availableBytes: Number(fields[4]) * 1024,
    };
  } catch (err) {
    return { error: `df failed: ${(err as Error).message}` };
  }
}

/** Adds whether the block device is rotational (HDD) or not, from sysfs, when Linux exposes it. */
async function describeDevice(device: string): Promise<string> {
  const name = device.replace(/^\/dev\//, "").replace(/\d+$/, "");
  try {
    const rotational = (await readFile(`/sys/block/${name}/queue/rotational`, "utf8")).trim();
    return `${device} (${rotational === "1" ? "rotational" : "non-rotational"})`;
  } catch {
    return device;
  }
}

export function formatEnvironment(env: Environment): string {
  const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
  const disk =
    "error" in env.disk
      ? env.disk.error
      : `${env.disk.device}, ${env.disk.filesystem}, ${gib(env.disk.sizeBytes)} (${gib(env.disk.availableBytes)} free)`;
  return [
    `- CPU: ${env.cpuModel}, ${env.cores} cores (load average at start: ${env.loadAverage1m.toFixed(2)})`,
    `- Memory: ${gib(env.memoryBytes)}`,
    `- OS: ${env.os}`,
    `- Node: ${env.node}`,
    `- Data dir: ${env.dataDir} — ${disk}`,
    `- Captured: ${env.capturedAt}`,
  ].join("\n");
}
