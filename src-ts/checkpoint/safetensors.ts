// src-ts/checkpoint/safetensors.ts — the safetensors file format (huggingface/safetensors):
//
//   [u64 little-endian N][N bytes of JSON header][data]
//   header = { "<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//              "__metadata__": {"<key>": "<string>", ...} }
// offsets are relative to the start of the data; tensors are little-endian, row-major, and
// together cover the data exactly (no gaps, no overlaps). cuoptim writes and reads F32, U8, and
// BF16 / F16 (16-bit params, as their raw bits).
//
// readHeader() validates everything a load depends on — the header's length and JSON, every
// entry's dtype, shape and offsets, the coverage of the data — from the first N + 8 bytes and the
// file size, before any tensor data is read.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { fail } from "../errors.js";
import { writeFileAtomic } from "./atomic_write.js";

export type SafetensorsDType = "F32" | "U8" | "BF16" | "F16";

export interface TensorEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** byte offsets within the data section */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: Map<string, TensorEntry>;
  metadata: Record<string, string>;
  /** file offset of the data section */
  dataStart: number;
}

export const ITEM_SIZE: Record<SafetensorsDType, number> = { F32: 4, U8: 1, BF16: 2, F16: 2 };
/** safetensors' own limit on the header (100 MB). */
const MAX_HEADER = 100_000_000;
const KNOWN_DTYPES = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"];

/** The bytes before the data: length prefix plus the header JSON, space-padded to 8-byte alignment. */
export function encodeHeader(entries: TensorEntry[], metadata: Record<string, string>): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  for (const e of entries) header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [e.begin, e.end] };
  let json = Buffer.from(JSON.stringify(header), "utf8");
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, json]);
}

/** A tensor to write: its name, dtype, shape and data (16-bit tensors as raw bits). */
export interface TensorToWrite {
  name: string;
  dtype: SafetensorsDType;
  shape: readonly number[];
  data: Float32Array | Uint16Array | Uint8Array;
}

/** Writes tensors (in the order given) and metadata as a safetensors file, atomically (writeFileAtomic). */
export function writeSafetensors(path: string, tensors: readonly TensorToWrite[], metadata: Record<string, string>): void {
  let offset = 0;
  const entries: TensorEntry[] = tensors.map((t) => {
    const entry = { name: t.name, dtype: t.dtype, shape: [...t.shape], begin: offset, end: offset + t.data.byteLength };
    offset = entry.end;
    return entry;
  });
  const header = encodeHeader(entries, metadata);
  writeFileAtomic(path, function* () {
    yield header;
    for (const t of tensors) yield new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  });
}

/** Reads and validates the header of the safetensors file open as `fd`. */
export function readHeader(fd: number, path: string): SafetensorsHeader {
  const bad = (what: string): never => fail("ERR_CHECKPOINT", `${path}: not a valid safetensors file: ${what}`);
  const size = fstatSync(fd).size;
  if (size < 8) bad(`${size} bytes, shorter than the 8-byte header length`);
  const prefix = Buffer.alloc(8);
  readFully(fd, prefix, 0, path);
  const n = prefix.readBigUInt64LE();
  if (n > BigInt(size - 8)) bad(`the header length (${n} bytes) runs past the end of the file (${size} bytes): truncated?`);
  if (n > BigInt(MAX_HEADER)) bad(`the header length (${n} bytes) exceeds safetensors' limit of ${MAX_HEADER}`);
  const headerBytes = Buffer.alloc(Number(n));
  readFully(fd, headerBytes, 8, path);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBytes));
  } catch (e) {
    bad(`the header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) bad("the header is not a JSON object");
  const dataStart = 8 + Number(n);
  const dataSize = size - dataStart;
  const metadata: Record<string, string> = {};
  const entries = new Map<string, TensorEntry>();
  for (const [name, raw] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) bad("__metadata__ is not an object");
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== "string") bad(`__metadata__.${k} is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    entries.set(name, checkEntry(name, raw, dataSize, bad));
  }
  // The tensors must tile the data exactly, in some order.
  const sorted = [...entries.values()].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.begin < cursor) bad(`tensor "${e.name}" (bytes ${e.begin}..${e.end}) overlaps the tensor before it (which ends at ${cursor})`);
    if (e.begin > cursor) bad(`bytes ${cursor}..${e.begin} of the data belong to no tensor`);
    cursor = e.end;
  }
  if (cursor < dataSize) bad(`bytes ${cursor}..${dataSize} of the data belong to no tensor`);
  return { entries, metadata, dataStart };
}

function checkEntry(name: string, raw: unknown, dataSize: number, bad: (what: string) => never): TensorEntry {
  const where = `tensor "${name}"`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) bad(`${where} is not an object`);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== "string" || !KNOWN_DTYPES.includes(dtype)) bad(`${where}: unknown dtype ${JSON.stringify(dtype)}`);
  if (!(dtype in ITEM_SIZE)) bad(`${where}: dtype ${String(dtype)} (cuoptim reads F32, BF16, F16 and U8 tensors)`);
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) bad(`${where}: shape is not a list of whole numbers >= 0`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => !Number.isSafeInteger(o) || o < 0)) {
    bad(`${where}: data_offsets is not [begin, end]`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataSize) bad(`${where}: data_offsets [${begin}, ${end}] lie outside the ${dataSize} bytes of data`);
  const numel = (shape as number[]).reduce((a, b) => a * b, 1);
  const bytes = numel * ITEM_SIZE[dtype as SafetensorsDType];
  if (end - begin !== bytes) bad(`${where}: shape [${(shape as number[]).join(", ")}] of ${dtype} needs ${bytes} bytes, data_offsets give ${end - begin}`);
  return { name, dtype: dtype as SafetensorsDType, shape: shape as number[], begin, end };
}

/** The tensor's data as a new typed array (16-bit tensors: a Uint16Array of raw bits). */
export function readTensor(fd: number, header: SafetensorsHeader, entry: TensorEntry, path: string): Float32Array | Uint16Array | Uint8Array {
  const bytes = entry.end - entry.begin;
  const out = entry.dtype === "F32" ? new Float32Array(bytes / 4) : entry.dtype === "U8" ? new Uint8Array(bytes) : new Uint16Array(bytes / 2);
  readFully(fd, new Uint8Array(out.buffer, out.byteOffset, bytes), header.dataStart + entry.begin, path);
  return out;
}

function readFully(fd: number, into: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < into.length) {
    let n: number;
    try {
      n = readSync(fd, into, done, into.length - done, position + done);
    } catch (e) {
      fail("ERR_IO", `${path}: read failed: ${(e as Error).message}`);
    }
    if (n === 0) fail("ERR_CHECKPOINT", `${path}: the file ended early (it changed while being read?)`);
    done += n;
  }
}

/** Opens a file for reading, as an ERR_IO on failure. */
export function openForReading(path: string): number {
  try {
    return openSync(path, "r");
  } catch (e) {
    return fail("ERR_IO", `${path}: cannot open for reading: ${(e as Error).message}`);
  }
}

export { closeSync };
