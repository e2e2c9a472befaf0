import type { Logger } from "../../log";

/** Connection closes logged one by one per second; past this they are counted. */
const LINES_PER_SECOND = 20;

/**
 * Logs why connections are closed, one line each, up to LINES_PER_SECOND; past that, the closes
 * are counted and one summary line follows the second. A flood of bad clients thus costs the
 * broker neither log volume nor the event-loop time of writing it, and the log still says what
 * happened.
 */
export class CloseLog {
  private windowStart = 0;
  private lines = 0;
  private suppressed = 0;
  private summary: NodeJS.Timeout | undefined;

  constructor(private readonly log: Logger) {}

  closed(client: string, reason: string): void {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.lines = 0;
    }
    if (this.lines < LINES_PER_SECOND) {
      this.lines++;
      this.log.info({ client, reason }, "closing connection");
      return;
    }
    this.suppressed++;
    this.summary ??= setTimeout(() => this.flush(), 1000 - (now - this.windowStart)).unref();
  }

  private flush(): void {
    this.summary = undefined;
    if (this.suppressed === 0) return;
    this.log.info({ connections: this.suppressed, perSecond: LINES_PER_SECOND }, "closed more connections than are logged one by one; the last was for the same kinds of reason as above");
    this.suppressed = 0;
  }
}
