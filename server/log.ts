import pino from "pino";

/** One structured logger for the process; modules take a child with their name. */
const level = process.env.TRIBUTARY_LOG_LEVEL ?? (process.env.VITEST ? "warn" : "info");

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
/** Fields every line carries or that the line's layout already shows. */
const SHOWN = new Set(["level", "time", "pid", "hostname", "module", "msg", "err"]);

/**
 * A JSON log line as a person reads it on a terminal: time, level, module, message, the other
 * fields as key=value, and an error's stack indented below. Anything not JSON passes unchanged.
 */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof entry.time === "number" ? new Date(entry.time).toISOString().slice(11, 23) : "";
  const name = LEVELS[typeof entry.level === "number" ? entry.level : 30] ?? "INFO";
  const module = typeof entry.module === "string" ? `[${entry.module}] ` : "";
  const fields = Object.entries(entry)
    .filter(([k]) => !SHOWN.has(k))
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  const err = entry.err as { message?: string; stack?: string } | undefined;
  const stack = err?.stack ?? err?.message;
  return `${time} ${name.padEnd(5)} ${module}${typeof entry.msg === "string" ? entry.msg : ""}${fields ? `  ${fields}` : ""}${stack ? `\n    ${stack.split("\n").join("\n    ")}` : ""}\n`;
}

/**
 * On a terminal the log reads as text beside the start banner and the build's output; anywhere
 * else (a file, a pipe to a collector) it stays one JSON object per line. TRIBUTARY_LOG_FORMAT
 * (pretty or json) overrides the guess.
 */
const pretty = process.env.TRIBUTARY_LOG_FORMAT ? process.env.TRIBUTARY_LOG_FORMAT === "pretty" : Boolean(process.stdout.isTTY);

export const log = pretty
  ? pino({ level, base: { pid: process.pid } }, { write: (line: string) => void process.stdout.write(prettyLine(line)) })
  : pino({ level, base: { pid: process.pid } });

export function logger(module: string): pino.Logger {
  return log.child({ module });
}

export type Logger = pino.Logger;
