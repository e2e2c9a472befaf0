import type { IncomingMessage, ServerResponse } from "node:http";

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** The steps of `next build` worth showing, in the order its output announces them. */
const BUILD_STEPS: { line: RegExp; label: string }[] = [
  { line: /Creating an optimized production build/, label: "Compiling the console" },
  { line: /Linting and checking validity of types/, label: "Checking types" },
  { line: /Collecting page data/, label: "Collecting page data" },
  { line: /Generating static pages/, label: "Generating pages" },
  { line: /Finalizing page optimization/, label: "Finalizing" },
  { line: /Collecting build traces/, label: "Collecting build traces" },
];

/**
 * What `tributary start` is doing before the console can answer: the HTTP port is bound first, and
 * until the console is ready every request gets a 503 that says what is happening (a page that
 * refreshes itself for browsers, JSON for the API), instead of a refused connection.
 */
export class StartProgress {
  private readonly startedAt = Date.now();
  private readonly steps: { label: string; at: number }[] = [];
  private pages: string | undefined;

  step(label: string): void {
    this.steps.push({ label, at: Date.now() });
    this.pages = undefined;
  }

  /** Follows the build's output, one line at a time. */
  buildOutput(line: string): void {
    const pages = /Generating static pages[^(]*\((\d+\/\d+)\)/.exec(line);
    const step = BUILD_STEPS.find((s) => s.line.test(line));
    if (step && this.steps.at(-1)?.label !== step.label) this.step(step.label);
    if (pages) this.pages = pages[1];
  }

  /** The current step, as the page and the API answer name it. */
  current(): string {
    const last = this.steps.at(-1);
    return last ? `${last.label}${this.pages ? ` (${this.pages})` : ""}` : "Starting";
  }

  render(): string {
    const now = Date.now();
    const items = this.steps
      .map((s, i) => {
        const end = this.steps[i + 1]?.at;
        const label = i === this.steps.length - 1 ? this.current() : s.label;
        return `<li class="${end ? "done" : "now"}">${escape(label)} <span>${Math.round(((end ?? now) - s.at) / 1000)} s</span></li>`;
      })
      .join("");
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2"><title>Tributary is starting</title><style>
body{font-family:system-ui,sans-serif;background:#f6f7f9;color:#1c2330;display:grid;place-items:center;min-height:100vh;margin:0}
main{background:#fff;border:1px solid #e3e6eb;border-radius:10px;padding:24px 28px;width:min(460px,90vw)}h1{font-size:20px;margin:0 0 6px}
p{color:#667085;margin:0 0 14px}ol{margin:0;padding-left:20px;line-height:1.9}li span{color:#667085;font-size:12px}li.done{color:#1a7f37}li.now{font-weight:600}
</style></head><body><main><h1>Tributary is starting</h1><p>The first start builds the console, which takes a minute or two. This page reloads itself; ${Math.round((now - this.startedAt) / 1000)} s so far.</p><ol>${items}</ol></main></body></html>`;
  }

  respond(req: IncomingMessage, res: ServerResponse): void {
    const headers = { "retry-after": "2", "cache-control": "no-store" };
    const message = `Tributary is starting: ${this.current()}; retry in a moment.`;
    if ((req.url ?? "/").startsWith("/api/")) {
      res.writeHead(503, { ...headers, "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message, code: -32603, data: { code: "SERVICE_UNAVAILABLE", httpStatus: 503 } } }));
    } else if ((req.headers.accept ?? "").includes("text/html")) {
      res.writeHead(503, { ...headers, "content-type": "text/html; charset=utf-8" });
      res.end(this.render());
    } else {
      res.writeHead(503, { ...headers, "content-type": "text/plain; charset=utf-8" });
      res.end(message);
    }
  }
}
