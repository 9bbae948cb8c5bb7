// src-ts/distributed/state_bytes.ts — per-param optimizer state entries (numbers and typed
// arrays) to bytes and back, so each rank's share of a state dict can travel to the rank that
// consolidates it. Layout: a 4-byte little-endian header length, a JSON header in which each
// typed array is {"$": "f32" | "u8", "at": byte offset, "n": length} and each number its exact
// text (String(x) reads back to the same double; NaN, ±Infinity and -0 included), then the
// arrays' bytes, each at a 4-byte-aligned offset (raw bits: NaN payloads survive).

type Value = number | Float32Array | Uint8Array;
/** State entries keyed by param index (a StateDict's `state`). */
export type Entries = Record<number, Record<string, Value>>;

interface ArrayRef {
  $: "f32" | "u8";
  at: number;
  n: number;
}

export function packEntries(entries: Entries): Uint8Array {
  const arrays: Uint8Array[] = [];
  let size = 0;
  const header: Record<string, Record<string, string | ArrayRef>> = {};
  for (const [id, entry] of Object.entries(entries)) {
    const out: Record<string, string | ArrayRef> = {};
    for (const [k, v] of Object.entries(entry)) {
      if (typeof v === "number") {
        out[k] = Object.is(v, -0) ? "-0" : String(v);
        continue;
      }
      const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      out[k] = { $: v instanceof Float32Array ? "f32" : "u8", at: size, n: v.length };
      arrays.push(bytes);
      size += Math.ceil(bytes.length / 4) * 4;
    }
    header[id] = out;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((4 + json.length) / 4) * 4;
  const packed = new Uint8Array(start + size);
  new DataView(packed.buffer).setUint32(0, json.length, true);
  packed.set(json, 4);
  let at = start;
  for (const a of arrays) {
    packed.set(a, at);
    at += Math.ceil(a.length / 4) * 4;
  }
  return packed;
}

export function unpackEntries(packed: Uint8Array): Entries {
  const length = new DataView(packed.buffer, packed.byteOffset, packed.byteLength).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(packed.subarray(4, 4 + length))) as Record<string, Record<string, string | ArrayRef>>;
  const start = Math.ceil((4 + length) / 4) * 4;
  const entries: Entries = {};
  for (const [id, entry] of Object.entries(header)) {
    const out: Record<string, Value> = {};
    for (const [k, v] of Object.entries(entry)) {
      if (typeof v === "string") {
        out[k] = Number(v);
        continue;
      }
      const bytes = packed.slice(start + v.at, start + v.at + v.n * (v.$ === "f32" ? 4 : 1));
      out[k] = v.$ === "f32" ? new Float32Array(bytes.buffer) : bytes;
    }
    entries[Number(id)] = out;
  }
  return entries;
}
