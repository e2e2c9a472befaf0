import { describe, expect, it } from "vitest";
import { Framer, withSize } from "./framing";

function collect(limits?: { minBytes?: number; maxBytes?: number }) {
  const frames: string[] = [];
  const refused: number[] = [];
  const framer = new Framer({ frame: (f) => frames.push(f.toString()), refuse: (size) => refused.push(size) }, limits);
  return { framer, frames, refused };
}

describe("Framer", () => {
  it("hands over each frame once whole, however the reads cut it", () => {
    const { framer, frames } = collect();
    const wire = Buffer.concat([withSize(Buffer.from("first")), withSize(Buffer.from("")), withSize(Buffer.from("third frame"))]);
    // One byte at a time: sizes and bodies split everywhere.
    for (let i = 0; i < wire.length; i++) framer.push(wire.subarray(i, i + 1));
    expect(frames).toEqual(["first", "", "third frame"]);
  });

  it("hands over every frame of one read, and keeps a partial one for the next", () => {
    const { framer, frames } = collect();
    const wire = Buffer.concat([withSize(Buffer.from("a")), withSize(Buffer.from("bb")), withSize(Buffer.from("ccc"))]);
    framer.push(wire.subarray(0, wire.length - 2));
    expect(frames).toEqual(["a", "bb"]);
    framer.push(wire.subarray(wire.length - 2));
    expect(frames).toEqual(["a", "bb", "ccc"]);
  });

  it("refuses a size outside the limits once, and reads nothing after it", () => {
    const { framer, frames, refused } = collect({ minBytes: 4, maxBytes: 10 });
    framer.push(Buffer.concat([withSize(Buffer.from("okay")), withSize(Buffer.from("far too long a frame")), withSize(Buffer.from("late"))]));
    expect(frames).toEqual(["okay"]);
    expect(refused).toEqual([20]);
    framer.push(withSize(Buffer.from("more")));
    expect(frames).toEqual(["okay"]);
  });

  it("refuses a negative size and one below minBytes", () => {
    const negative = collect();
    negative.framer.push(Buffer.from([0xff, 0xff, 0xff, 0xfe]));
    expect(negative.refused).toEqual([-2]);
    const short = collect({ minBytes: 4 });
    short.framer.push(withSize(Buffer.from("ab")));
    expect(short.refused).toEqual([2]);
  });

  it("hands over nothing after stop", () => {
    const { framer, frames } = collect();
    const wire = withSize(Buffer.from("half"));
    framer.push(wire.subarray(0, 5));
    framer.stop();
    framer.push(wire.subarray(5));
    expect(frames).toEqual([]);
  });
});
