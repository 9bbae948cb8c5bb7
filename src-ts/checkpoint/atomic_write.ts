// src-ts/checkpoint/atomic_write.ts — replaces a file so that, whatever happens, the path holds
// either the old file or the complete new one: the bytes go to a temporary file in the same
// directory, which is fsynced, renamed over the path, and the directory fsynced so the rename
// itself is durable. On any failure the temporary file is removed and the old file is untouched.
//
// The path may be a symlink: the file it points to is replaced and the link stays. Anything but
// a regular file (a device, a FIFO, a directory, a socket) is refused, never renamed over. The
// new file keeps the old one's permission bits. Temporary files left by a killed writer (their
// name carries its pid) are removed by the next save of the same path.
import { createHash, randomBytes } from "node:crypto";
import { closeSync, fchmodSync, fsyncSync, lstatSync, openSync, readdirSync, readlinkSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fail } from "../errors.js";

const NAME_MAX = 255;
const MAX_LINKS = 40;

/** Writes the chunks `produce` yields, in order, as the new content of `path`. */
export function writeFileAtomic(path: string, produce: () => Iterable<Uint8Array>): void {
  const io = (what: string, e?: unknown): never => fail("ERR_IO", `${path}: ${what}${e ? `: ${(e as Error).message}` : ""}`);
  const { target, existing } = resolveTarget(path, io);
  if (existing && !existing.isFile()) io(`not a regular file (${kindOf(existing)}): refused, it is unchanged`);
  const dir = dirname(target);
  const prefix = tempPrefix(basename(target));
  removeStaleTemps(dir, prefix);
  const temp = join(dir, `${prefix}${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let fd: number;
  try {
    fd = openSync(temp, "wx", 0o644);
  } catch (e) {
    return io(`cannot create a file in ${dir}`, e);
  }
  try {
    try {
      if (existing) fchmodSync(fd, existing.mode & 0o7777);
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

/** The file a path names after following symlinks (which may not exist yet), and its stats. */
function resolveTarget(path: string, io: (what: string, e?: unknown) => never): { target: string; existing: Stats | null } {
  let target = resolve(path);
  for (let hops = 0; ; hops++) {
    let link: Stats;
    try {
      link = lstatSync(target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return { target, existing: null };
      return io("cannot inspect the path", e);
    }
    if (!link.isSymbolicLink()) return { target, existing: statSync(target) };
    if (hops >= MAX_LINKS) io(`more than ${MAX_LINKS} symbolic links`);
    target = resolve(dirname(target), readlinkSync(target));
  }
}

function kindOf(s: Stats): string {
  if (s.isDirectory()) return "a directory";
  if (s.isCharacterDevice()) return "a character device";
  if (s.isBlockDevice()) return "a block device";
  if (s.isFIFO()) return "a FIFO";
  if (s.isSocket()) return "a socket";
  return "not a plain file";
}

/**
 * `.<name>.` (a long name shortened, with a hash of the whole, so that prefix + pid + random
 * suffix stays within NAME_MAX).
 */
function tempPrefix(name: string): string {
  const room = NAME_MAX - 40; // ".", ".", pid (up to 10), ".", 12 hex, ".tmp", and margin
  const short = name.length <= room ? name : `${name.slice(0, room - 17)}~${createHash("sha256").update(name).digest("hex").slice(0, 16)}`;
  return `.${short}.`;
}

/** Removes `<prefix><pid>.<hex>.tmp` files whose writer process no longer exists. */
function removeStaleTemps(dir: string, prefix: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
    const m = /^(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name.slice(prefix.length));
    if (!m || processAlive(Number(m[1]))) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {
      // another writer removed it, or the directory is read-only: harmless
    }
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true; // this process's own write may be in flight on a worker
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
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
