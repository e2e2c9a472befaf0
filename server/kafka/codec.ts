import { uvarintSize, writeUVarint } from "./records/varint";

/** Thrown for a request that cannot be parsed; the connection is closed with this reason. */
export class ProtocolError extends Error {}

export class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new ProtocolError(`request truncated: needed ${n} bytes at ${this.pos}, frame has ${this.buf.length}`);
  }
  /** Claims the next n bytes of the frame, returning where they start. */
  private advance(n: number): number {
    this.need(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  int8(): number {
    return this.buf.readInt8(this.advance(1));
  }
  int16(): number {
    return this.buf.readInt16BE(this.advance(2));
  }
  uint16(): number {
    return this.buf.readUInt16BE(this.advance(2));
  }
  int32(): number {
    return this.buf.readInt32BE(this.advance(4));
  }
  int64(): number {
    return Number(this.buf.readBigInt64BE(this.advance(8)));
  }
  float64(): number {
    return this.buf.readDoubleBE(this.advance(8));
  }
  uvarint(): number {
    let v = 0;
    let shift = 0;
    for (;;) {
      this.need(1);
      const b = this.buf[this.pos++];
      v += (b & 127) * 2 ** shift;
      if (b < 128) return v;
      shift += 7;
      if (shift > 35) throw new ProtocolError("unsigned varint too long");
    }
  }
  /** A slice of the frame (no copy): record batches are appended straight from it. */
  take(n: number): Buffer {
    if (n < 0) throw new ProtocolError(`negative length ${n}`);
    const at = this.advance(n);
    return this.buf.subarray(at, at + n);
  }
  uuid(): string {
    const b = this.take(16).toString("hex");
    return `${b.slice(0, 8)}-${b.slice(8, 12)}-${b.slice(12, 16)}-${b.slice(16, 20)}-${b.slice(20)}`;
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
}

/**
 * Builds a response as a list of chunks so record data read from segment files is passed to the
 * socket as is, never copied into one big buffer.
 */
export class Writer {
  private chunks: Buffer[] = [];
  private buf: Buffer;
  private pos = 0;
  private total = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.seal();
    this.buf = Buffer.allocUnsafe(Math.max(n, 4096));
  }
  private seal(): void {
    if (this.pos > 0) {
      this.chunks.push(this.buf.subarray(0, this.pos));
      this.total += this.pos;
      this.buf = this.buf.subarray(this.pos);
      this.pos = 0;
    }
  }
  /** Claims the next n bytes of the current chunk, returning where they start; read this.buf only after, as room() may replace it. */
  private claim(n: number): number {
    this.room(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  int8(v: number): void {
    const at = this.claim(1);
    this.buf.writeInt8(v, at);
  }
  int16(v: number): void {
    const at = this.claim(2);
    this.buf.writeInt16BE(v, at);
  }
  uint16(v: number): void {
    const at = this.claim(2);
    this.buf.writeUInt16BE(v, at);
  }
  int32(v: number): void {
    const at = this.claim(4);
    this.buf.writeInt32BE(v, at);
  }
  int64(v: number): void {
    const at = this.claim(8);
    this.buf.writeBigInt64BE(BigInt(v), at);
  }
  float64(v: number): void {
    const at = this.claim(8);
    this.buf.writeDoubleBE(v, at);
  }
  uvarint(v: number): void {
    this.room(uvarintSize(v));
    this.pos = writeUVarint(this.buf, this.pos, v);
  }
  bytes(b: Buffer): void {
    if (b.length > 1024) {
      this.seal();
      this.chunks.push(b);
      this.total += b.length;
      return;
    }
    this.room(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
  uuid(id: string): void {
    const hex = id.replace(/-/g, "");
    this.bytes(hex.length === 32 ? Buffer.from(hex, "hex") : Buffer.alloc(16));
  }
  /** The frame: 4-byte size, then everything written. */
  frame(): Buffer[] {
    this.seal();
    const size = Buffer.allocUnsafe(4);
    size.writeInt32BE(this.total);
    return [size, ...this.chunks];
  }
}

export const ZERO_UUID = "00000000-0000-0000-0000-000000000000";
