/**
 * The checkpoint file format of minevo's resumable runs (`evolve` here, `runOuSampler` in
 * @minevo/diffusion): a versioned binary container for a tree of plain values (objects,
 * arrays, strings, booleans, null, numbers) whose Float64Arrays are stored as raw little-endian
 * float64 bytes — bit for bit, which a resume that must reproduce an uninterrupted run needs (JSON
 * alone loses −0, NaN and ±Infinity, and is ~3× larger for float data).
 *
 *   bytes 0–7     magic "MINEVOCP"
 *   8–11          format version (uint32 LE), currently 1
 *   12–15         header length L (uint32 LE)
 *   16–23         payload length P (float64 LE, a whole number of bytes)
 *   24…           the header: UTF-8 JSON { kind, value }, padded with spaces to a multiple of 8
 *   …             the payload: the Float64Arrays, back to back
 *   last 4        CRC-32 (IEEE) of every byte before it
 *
 * In the header's value a Float64Array is `{ "$f64": [offset, length] }` (offset in float64s into
 * the payload) and a number JSON cannot carry is `{ "$num": "NaN" | "Infinity" | "-Infinity" | "-0" }`.
 * Decoding checks, in order, the magic, the version, the lengths (truncated or padded), the
 * checksum (modified), the JSON and the kind, and throws CorruptCheckpoint naming which failed.
 */
import { ErrorCode, MinevoError, quote } from "@minevo/core";

const magic = "MINEVOCP";
export const checkpointFormatVersion = 1;
const fixedHeaderBytes = 24;

const crcTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, as zlib's) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = (crcTable[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const littleEndian = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

function corrupt(message: string, details: Record<string, unknown> = {}): MinevoError {
  return new MinevoError(ErrorCode.CorruptCheckpoint, `${message}; save a new checkpoint or start the run afresh`, details);
}

/** Encodes `value` (a tree of plain values and Float64Arrays) under `kind`. */
export function encodeCheckpointTree(kind: string, value: unknown): Uint8Array {
  const arrays: Float64Array[] = [];
  let offset = 0;
  const walk = (v: unknown, path: string): unknown => {
    if (v instanceof Float64Array) {
      arrays.push(v);
      const entry = { $f64: [offset, v.length] };
      offset += v.length;
      return entry;
    }
    if (typeof v === "number") {
      if (Number.isNaN(v)) return { $num: "NaN" };
      if (v === Infinity) return { $num: "Infinity" };
      if (v === -Infinity) return { $num: "-Infinity" };
      if (Object.is(v, -0)) return { $num: "-0" };
      return v;
    }
    if (v === null || typeof v === "string" || typeof v === "boolean") return v;
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${path}[${i}]`));
    if (ArrayBuffer.isView(v)) {
      throw new MinevoError(ErrorCode.InvalidArgument, `cannot store ${path} in a checkpoint: it is a ${v.constructor.name}; only Float64Array is stored bit for bit`, { path });
    }
    if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(v as Record<string, unknown>)) {
        if (item !== undefined) out[key] = walk(item, `${path}.${key}`);
      }
      return out;
    }
    throw new MinevoError(ErrorCode.InvalidArgument, `cannot store ${path} in a checkpoint: ${quote(v)} is not plain data (a ${typeof v})`, { path });
  };
  const tree = walk(value, "checkpoint");
  let header = new TextEncoder().encode(JSON.stringify({ kind, value: tree }));
  const padded = Math.ceil(header.length / 8) * 8;
  if (padded !== header.length) {
    const spaced = new Uint8Array(padded).fill(0x20);
    spaced.set(header);
    header = spaced;
  }
  const payloadBytes = offset * 8;
  const bytes = new Uint8Array(fixedHeaderBytes + header.length + payloadBytes + 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < magic.length; i++) bytes[i] = magic.charCodeAt(i);
  view.setUint32(8, checkpointFormatVersion, true);
  view.setUint32(12, header.length, true);
  view.setFloat64(16, payloadBytes, true);
  bytes.set(header, fixedHeaderBytes);
  const payloadStart = fixedHeaderBytes + header.length;
  if (littleEndian) {
    const payload = new Float64Array(bytes.buffer, payloadStart, offset);
    let at = 0;
    for (const a of arrays) {
      payload.set(a, at);
      at += a.length;
    }
  } else {
    let at = payloadStart;
    for (const a of arrays) for (const x of a) view.setFloat64((at += 8) - 8, x, true);
  }
  view.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
  return bytes;
}

/** Decodes what {@link encodeCheckpointTree} wrote under `kind`, checking every layer (see the file comment). */
export function decodeCheckpointTree(bytes: Uint8Array, kind: string): unknown {
  if (!(bytes instanceof Uint8Array)) throw corrupt(`a checkpoint is a Uint8Array of bytes, got ${quote(bytes)}`);
  const foundMagic = String.fromCharCode(...bytes.subarray(0, Math.min(8, bytes.length)));
  if (bytes.length >= 8 && foundMagic !== magic) {
    throw corrupt(`not a minevo checkpoint: it starts with ${quote(foundMagic)}, not ${quote(magic)}`, { magic: foundMagic });
  }
  if (bytes.length < fixedHeaderBytes + 4) {
    throw corrupt(`the checkpoint is truncated: ${bytes.length} bytes, fewer than the ${fixedHeaderBytes + 4} of an empty one`, { length: bytes.length });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== checkpointFormatVersion) {
    throw corrupt(`checkpoint format version ${version} is not supported (this minevo reads version ${checkpointFormatVersion})`, { version });
  }
  const headerBytes = view.getUint32(12, true);
  const payloadBytes = view.getFloat64(16, true);
  if (headerBytes % 8 !== 0 || !Number.isSafeInteger(payloadBytes) || payloadBytes < 0 || payloadBytes % 8 !== 0) {
    throw corrupt(`the checkpoint's length fields are invalid (header ${headerBytes} bytes, payload ${payloadBytes} bytes): the file was modified`);
  }
  const expected = fixedHeaderBytes + headerBytes + payloadBytes + 4;
  if (bytes.length < expected) {
    throw corrupt(`the checkpoint is truncated: ${bytes.length} bytes of the ${expected} its header announces`, { length: bytes.length, expected });
  }
  if (bytes.length > expected) {
    throw corrupt(`the checkpoint has ${bytes.length - expected} bytes after its end (${expected} announced, ${bytes.length} found)`, { length: bytes.length, expected });
  }
  const stored = view.getUint32(bytes.length - 4, true);
  const computed = crc32(bytes.subarray(0, bytes.length - 4));
  if (stored !== computed) {
    throw corrupt(
      `the checkpoint's checksum does not match (stored ${stored.toString(16)}, computed ${computed.toString(16)}): the file was modified or damaged`,
      { stored, computed },
    );
  }
  let parsed: { kind?: unknown; value?: unknown };
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(fixedHeaderBytes, fixedHeaderBytes + headerBytes))) as typeof parsed;
  } catch (error) {
    throw corrupt(`the checkpoint's header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || parsed.kind !== kind) {
    throw corrupt(`this is a ${quote(parsed?.kind)} checkpoint, not a ${quote(kind)} one`, { kind: parsed?.kind });
  }
  const payloadStart = bytes.byteOffset + fixedHeaderBytes + headerBytes;
  const count = payloadBytes / 8;
  // Copy to an aligned buffer (the caller's bytes may sit at any offset).
  const payload = littleEndian
    ? new Float64Array(bytes.buffer.slice(payloadStart, payloadStart + payloadBytes))
    : Float64Array.from({ length: count }, (_, i) => view.getFloat64(fixedHeaderBytes + headerBytes + 8 * i, true));
  const numbers: Record<string, number> = { NaN: Number.NaN, Infinity: Infinity, "-Infinity": -Infinity, "-0": -0 };
  const walk = (v: unknown, path: string): unknown => {
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${path}[${i}]`));
    if (typeof v !== "object" || v === null) return v;
    const record = v as Record<string, unknown>;
    if ("$f64" in record) {
      const [at, length] = record.$f64 as [number, number];
      if (!(Number.isSafeInteger(at) && Number.isSafeInteger(length) && at >= 0 && length >= 0 && at + length <= count)) {
        throw corrupt(`${path} points outside the checkpoint's payload (${quote(record.$f64)} of ${count} numbers)`, { path });
      }
      return payload.slice(at, at + length);
    }
    if ("$num" in record) {
      const n = numbers[record.$num as string];
      if (n === undefined) throw corrupt(`${path} holds the unknown number ${quote(record.$num)}`, { path });
      return n;
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(record)) out[key] = walk(item, `${path}.${key}`);
    return out;
  };
  return walk(parsed.value, "checkpoint");
}
