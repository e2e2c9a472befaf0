import pino from "pino";

/** One structured logger for the process; modules take a child with their name. */
const level = process.env.TRIBUTARY_LOG_LEVEL ?? (process.env.VITEST ? "warn" : "info");

export const log = pino({ level, base: { pid: process.pid } });

export function logger(module: string): pino.Logger {
  return log.child({ module });
}

export type Logger = pino.Logger;
