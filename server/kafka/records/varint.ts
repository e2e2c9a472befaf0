/** Zig-zag varints as Kafka's record format uses them (int32 and int64 share the encoding; JS numbers carry both up to 2^53). */

export function varintSize(value: number): number {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

export function writeVarint(buf: Buffer, pos: number, value: number): number {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  while (v >= 128) {
    buf[pos++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

/** Reads a zig-zag varint at pos; returns the value and the position after it. */
export function readVarint(buf: Buffer, pos: number): [number, number] {
  let raw = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new RangeError("varint runs past the end of the buffer");
    const b = buf[pos++];
    raw += (b & 127) * mul;
    if (b < 128) return [raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2, pos];
    mul *= 128;
  }
  throw new RangeError("varint longer than 10 bytes");
}

/** Unsigned varints (no zig-zag), used by the protocol's compact types and tagged fields. */
export function writeUVarint(buf: Buffer, pos: number, value: number): number {
  while (value >= 128) {
    buf[pos++] = (value & 127) | 128;
    value >>>= 7;
  }
  buf[pos++] = value;
  return pos;
}

export function uvarintSize(value: number): number {
  let n = 1;
  while (value >= 128) {
    value >>>= 7;
    n++;
  }
  return n;
}
