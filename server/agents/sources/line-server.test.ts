import { connect } from "node:net";
import { expect, it } from "vitest";
import { eventually } from "../../broker/compat/harness";
import { LineServer } from "./line-server";

it("hands over lines in batches without their \\r\\n, and keeps only maxLineLength of a line however long it grows", async () => {
  const batches: string[][] = [];
  const server = await LineServer.listen({ host: "127.0.0.1", port: 0, batchSize: 2, maxLineLength: 8 }, (lines) => {
    batches.push(lines);
    return Promise.resolve(true);
  });
  const socket = connect(server.port, "127.0.0.1");
  try {
    socket.write("one\r\ntwo\nthr");
    // 4 MB without a newline, in pieces: only the first 8 characters may be kept.
    for (let i = 0; i < 64; i++) socket.write("e".repeat(65_536));
    socket.write("\nfour\n");
    await eventually(() => batches.flat().length === 4 || undefined, 10_000, "four lines");
    expect(batches.flat()).toEqual(["one", "two", "threeeee", "four"]);
    expect(batches.every((b) => b.length <= 2)).toBe(true);
  } finally {
    socket.destroy();
    await server.close();
  }
});
