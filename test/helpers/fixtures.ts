// test/helpers/fixtures.ts — reading the committed parity fixtures (test/fixtures/*/*.json).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");

export function decodeF32(b64: string): Float32Array {
  const bytes = Buffer.from(b64, "base64");
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export function decodeU8(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, "base64"));
}

export function readFixture<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/** Every *.json fixture in a subdirectory, plus those in $CUOPTIM_LIVE_FIXTURES/<subdir> if set. */
export function fixturePaths(subdir: string): string[] {
  const dirs = [join(FIXTURES, subdir)];
  if (process.env.CUOPTIM_LIVE_FIXTURES) dirs.push(join(process.env.CUOPTIM_LIVE_FIXTURES, subdir));
  return dirs.flatMap((d) => {
    try {
      return readdirSync(d).filter((f) => f.endsWith(".json")).sort().map((f) => join(d, f));
    } catch {
      return [];
    }
  });
}
