/**
 * Thrown by code that checks what a person typed or uploaded (a Flume file, a filter, an offsets
 * CSV) when it cannot be used. The API answers it as 400 with this message, so the message must say
 * what to fix; any other error escaping a procedure is the server's fault and answers 500.
 */
export class InvalidInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidInputError";
  }
}
