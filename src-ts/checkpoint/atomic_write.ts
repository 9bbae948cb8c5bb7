// src-ts/checkpoint/atomic_write.ts — replaces a file so that, whatever happens, the path holds
// either the old file or the complete new one: the bytes go to a temporary file in the same
// directory, which is fsynced, renamed over the path, and the directory fsynced so the rename
// itself is durable. On any failure the temporary file is removed and the old file is untouched.
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fail } from "../errors.js";

/** Writes the chunks `produce` yields, in order, as the new content of `path`. */
export function writeFileAtomic(path: string, produce: () => Iterable<Uint8Array>): void {
  const target = resolve(path);
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const io = (what: string, e: unknown): never => fail("ERR_IO", `${path}: ${what}: ${(e as Error).message}`);
  let fd: number;
  try {
    fd = openSync(temp, "wx", 0o644);
  } catch (e) {
    return io(`cannot create a file in ${dir}`, e);
  }
  try {
    try {
      for (const chunk of produce()) writeAll(fd, chunk);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
    if (e instanceof Error && "code" in e && typeof e.code === "string" && e.code.startsWith("E")) io("write failed (the old file, if any, is unchanged)", e);
    throw e;
  }
  syncDirectory(dir);
}

function writeAll(fd: number, chunk: Uint8Array): void {
  let done = 0;
  while (done < chunk.length) done += writeSync(fd, chunk, done, chunk.length - done);
}

/** Makes a rename in `dir` durable (a no-op where directories cannot be opened, e.g. Windows). */
function syncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // some filesystems refuse fsync on a directory; the rename has happened
  } finally {
    closeSync(fd);
  }
}
