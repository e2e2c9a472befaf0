import { execFile } from "node:child_process";
import { promisify } from "node:util";

export const run = promisify(execFile);

export interface KcatPartition {
  partition: number;
  leader: number;
  replicas: { id: number }[];
  isrs: { id: number }[];
}

export interface KcatMetadata {
  controllerid: number;
  brokers: { id: number; name: string }[];
  topics: { topic: string; partitions: KcatPartition[] }[];
}

/** `kcat -L` against one broker, or undefined while it does not answer. */
export async function kcatMetadata(port: number, topic?: string): Promise<KcatMetadata | undefined> {
  try {
    const { stdout } = await run("kcat", ["-b", `127.0.0.1:${port}`, "-L", "-J", "-m", "3", ...(topic ? ["-t", topic] : [])]);
    return JSON.parse(stdout) as KcatMetadata;
  } catch {
    return undefined;
  }
}
