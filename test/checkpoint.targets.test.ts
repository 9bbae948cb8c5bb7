// test/checkpoint.targets.test.ts — what save() does to the path it is given: a FIFO, a
// directory or a socket is refused and stays what it was (as root, renaming over a device file
// would replace the device); a symlink stays a link and the file it points to gets the new
// checkpoint; the file keeps its permission bits; temporary files left by a killed writer (a pid
// that no longer runs) are removed by the next save of that path, while a live writer's are left
// alone; a name near NAME_MAX still saves (the temporary name stays within it).
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CuoptimError, inspectCheckpoint, load, save, tensor } from "../src-ts/index.js";

const dir = mkdtempSync(join(tmpdir(), "cuoptim-targets-"));
const params = () => ({ w: tensor(new Float32Array([1, 2, 3]), [3], { device: "cpu" }) });
const refusedIo = (e: unknown) => e instanceof CuoptimError && e.code === "ERR_IO" && /not a regular file/.test(e.message);

test("a FIFO is refused and stays a FIFO", () => {
  const fifo = join(dir, "fifo");
  const made = spawnSync("mkfifo", [fifo]);
  assert.is(made.status, 0, "mkfifo");
  assert.throws(() => save(fifo, { params: params() }), refusedIo);
  assert.ok(lstatSync(fifo).isFIFO());
});

test("a directory is refused and stays a directory with its contents", () => {
  const d = join(dir, "a-dir");
  mkdirSync(d);
  writeFileSync(join(d, "keep"), "x");
  assert.throws(() => save(d, { params: params() }), refusedIo);
  assert.ok(statSync(d).isDirectory());
  assert.equal(readdirSync(d), ["keep"]);
});

test("a symlink to a device is refused and the link is left as it was", () => {
  const link = join(dir, "null-link");
  symlinkSync("/dev/null", link);
  assert.throws(() => save(link, { params: params() }), refusedIo);
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.ok(statSync("/dev/null").isCharacterDevice());
});

test("a symlink stays a link; the file it points to is replaced", () => {
  const real = join(dir, "real.safetensors");
  const link = join(dir, "link.safetensors");
  save(real, { params: params() });
  symlinkSync("real.safetensors", link);
  const p = params();
  p.w.set(new Float32Array([7, 8, 9]));
  save(link, { params: p });
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.is(readlinkSync(link), "real.safetensors");
  const back = params();
  load(real, { params: back });
  assert.equal(Array.from(back.w.toArray()), [7, 8, 9]);
});

test("a dangling symlink: the file it names is created", () => {
  const link = join(dir, "dangling.safetensors");
  symlinkSync("created-through-link.safetensors", link);
  save(link, { params: params() });
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.ok(existsSync(join(dir, "created-through-link.safetensors")));
  assert.ok(inspectCheckpoint(link).tensors.length >= 1);
});

test("the file keeps its permission bits", () => {
  const path = join(dir, "private.safetensors");
  save(path, { params: params() });
  chmodSync(path, 0o600);
  save(path, { params: params() });
  assert.is(statSync(path).mode & 0o777, 0o600);
});

test("temporaries of a dead writer are removed by the next save; a live writer's stay", () => {
  const path = join(dir, "resumed.safetensors");
  // A pid above the kernel's limit (pid_max is at most 2^22) cannot be running.
  const dead = join(dir, `.resumed.safetensors.${2 ** 22 + 17}.0123456789ab.tmp`);
  const live = join(dir, `.resumed.safetensors.${process.ppid}.ba9876543210.tmp`);
  writeFileSync(dead, "partial");
  writeFileSync(live, "partial");
  save(path, { params: params() });
  assert.not.ok(existsSync(dead), "the dead writer's temporary is gone");
  assert.ok(existsSync(live), "the live writer's temporary is left");
  assert.ok(readFileSync(path).length > 0);
});

test("a name of 250 characters saves (the temporary name stays within NAME_MAX)", () => {
  const path = join(dir, `${"n".repeat(238)}.safetensors`);
  save(path, { params: params() });
  save(path, { params: params() });
  assert.ok(inspectCheckpoint(path).tensors.length >= 1);
  assert.equal(readdirSync(dir).filter((f) => f.endsWith(".tmp") && f.includes("nnnn")), []);
});

test("a flipped data byte, or two same-size tensors with swapped offsets, is refused and nothing changes", () => {
  const path = join(dir, "checksummed.safetensors");
  const two = () => ({ a: tensor(new Float32Array([1, 2, 3]), [3], { device: "cpu" }), b: tensor(new Float32Array([4, 5, 6]), [3], { device: "cpu" }) });
  save(path, { params: two() });
  const original = readFileSync(path);
  const headerLength = Number(original.readBigUInt64LE(0));
  const header = JSON.parse(original.subarray(8, 8 + headerLength).toString("utf8")) as Record<string, { data_offsets: [number, number] }>;
  // swapped offsets: the header stays valid safetensors, the data stays the same bytes
  [header.a!.data_offsets, header.b!.data_offsets] = [header.b!.data_offsets, header.a!.data_offsets];
  let json = Buffer.from(JSON.stringify(header), "utf8");
  json = Buffer.concat([json, Buffer.alloc(headerLength - json.length, " ")]);
  const swapped = Buffer.concat([original.subarray(0, 8), json, original.subarray(8 + headerLength)]);
  const flipped = Buffer.from(original);
  flipped.writeUInt8(flipped.readUInt8(flipped.length - 1) ^ 0x01, flipped.length - 1);
  for (const [what, bytes] of [["swapped offsets", swapped], ["a flipped byte", flipped]] as const) {
    writeFileSync(path, bytes);
    const into = two();
    into.a.set(new Float32Array([7, 7, 7]));
    assert.throws(() => load(path, { params: into }), (e: unknown) => e instanceof CuoptimError && e.code === "ERR_CHECKPOINT" && /does not match its checksum/.test(e.message), what);
    assert.equal(Array.from(into.a.toArray()), [7, 7, 7], `${what}: the target is unchanged`);
  }
  writeFileSync(path, original);
  const back = two();
  back.a.set(new Float32Array(3));
  load(path, { params: back });
  assert.equal(Array.from(back.a.toArray()), [1, 2, 3]);
});

test.run();
