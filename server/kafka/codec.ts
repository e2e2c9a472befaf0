import { uvarintSize, writeUVarint } from "./records/varint";

/** Thrown for a request that cannot be parsed; the connection is closed with this reason. */
export class ProtocolError extends Error {}

export class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new ProtocolError(`request truncated: needed ${n} bytes at ${this.pos}, frame has ${this.buf.length}`);
  }
  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }
  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  uint16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): number {
    this.need(8);
    const v = Number(this.buf.readBigInt64BE(this.pos));
    this.pos += 8;
    return v;
  }
  float64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
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
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
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
  int8(v: number): void {
    this.room(1);
    this.buf.writeInt8(v, this.pos++);
  }
  int16(v: number): void {
    this.room(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
  }
  uint16(v: number): void {
    this.room(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }
  int32(v: number): void {
    this.room(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }
  int64(v: number): void {
    this.room(8);
    this.buf.writeBigInt64BE(BigInt(v), this.pos);
    this.pos += 8;
  }
  float64(v: number): void {
    this.room(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
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
