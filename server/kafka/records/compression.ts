import { gunzipSync, gzipSync } from "node:zlib";
import { compressFrameSync, decompressFrameSync } from "lz4-napi";
import snappy from "snappy";
import { compress as zstdCompress, decompress as zstdDecompress } from "zstd-napi";
import { ErrorCode, KafkaError } from "../errors";

/** The codec ids of a record batch's attributes (bits 0-2). */
export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionName = keyof typeof Compression;

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

/** Java clients frame snappy the xerial way (magic header, then length-prefixed blocks); others send raw snappy. */
function snappyDecompress(data: Buffer): Buffer {
  if (data.length >= 16 && data.subarray(0, 8).equals(XERIAL_MAGIC)) {
    const parts: Buffer[] = [];
    let pos = 16;
    while (pos + 4 <= data.length) {
      const len = data.readInt32BE(pos);
      pos += 4;
      parts.push(snappy.uncompressSync(data.subarray(pos, pos + len), { asBuffer: true }) as Buffer);
      pos += len;
    }
    return Buffer.concat(parts);
  }
  return snappy.uncompressSync(data, { asBuffer: true }) as Buffer;
}

/** Each codec's pair of functions, by its id. */
const CODECS: Partial<Record<number, { compress(data: Buffer): Buffer; decompress(data: Buffer): Buffer }>> = {
  [Compression.none]: { compress: (data) => data, decompress: (data) => data },
  [Compression.gzip]: { compress: gzipSync, decompress: gunzipSync },
  [Compression.snappy]: { compress: (data) => snappy.compressSync(data), decompress: snappyDecompress },
  [Compression.lz4]: { compress: compressFrameSync, decompress: decompressFrameSync },
  [Compression.zstd]: { compress: zstdCompress, decompress: zstdDecompress },
};

export function decompress(codec: number, data: Buffer): Buffer {
  const c = CODECS[codec];
  if (!c) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `unknown compression codec ${codec}`);
  try {
    return c.decompress(data);
  } catch (err) {
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `cannot decompress a ${codecName(codec)} batch: ${(err as Error).message}`);
  }
}

export function compress(codec: number, data: Buffer): Buffer {
  const c = CODECS[codec];
  if (!c) throw new Error(`unknown compression codec ${codec}`);
  return c.compress(data);
}

export function codecName(codec: number): string {
  return (Object.keys(Compression) as CompressionName[]).find((k) => Compression[k] === codec) ?? `codec ${codec}`;
}
