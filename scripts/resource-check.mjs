#!/usr/bin/env node
// scripts/resource-check.mjs — `npm run resource-check`: compiles every kernel source for one
// architecture with `nvcc --resource-usage` and prints, per kernel, the registers, shared memory,
// stack frame and spills ptxas reports. It fails when a kernel outside the self-tests has a stack
// frame or spills: a stack frame is local memory (DRAM behind L1), which a bandwidth-bound kernel
// cannot afford, and usually means a per-thread array indexed at run time.
//
//   node scripts/resource-check.mjs [--arch sm_90] [--jobs N]
// Needs nvcc on PATH (or CUDACXX); no build. The one-op launchers CMake generates from
// kernels/math/elementwise.cuh are written here the same way.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const arch = option("--arch", "sm_90");
const jobs = Math.max(1, Number(option("--jobs", String(cpus().length))));
const nvcc = process.env.CUDACXX || "nvcc";

// Kernels that exist to be wrong (the simulator's self-tests) are reported, never judged.
const EXEMPT_FILES = new Set(["selftest.cu"]);

const sources = readdirSync(join(root, "kernels", "cuda"))
  .filter((f) => f.endsWith(".cu"))
  .map((f) => join(root, "kernels", "cuda", f));
const scratch = mkdtempSync(join(tmpdir(), "cuoptim-ptxas-"));
// The one-op launchers, written as CMakeLists.txt writes them: one file per X(name, Op) line of
// kernels/math/elementwise.cuh.
const opList = readFileSync(join(root, "kernels", "math", "elementwise.cuh"), "utf8");
for (const [, name, op] of opList.matchAll(/X\(([a-z0-9_]+), *(::[:A-Za-z0-9_]+)\)/g)) {
  const file = join(scratch, `fused_${name}.cu`);
  writeFileSync(file, `#include "kernels/cuda/launchers.h"\n#include "kernels/cuda/elementwise.cuh"\nCUOPTIM_DEFINE_ELEMENTWISE_LAUNCHER(${name}, ${op})\n`);
  sources.push(file);
}

function compile(file) {
  return new Promise((resolve) => {
    // The flags the addon's build uses (CMakeLists.txt), for one real architecture.
    const child = spawn(nvcc, ["-std=c++17", "-O3", "--fmad=false", `-arch=${arch}`, "--resource-usage", "-c", file,
      "-o", join(scratch, `${basename(file)}.o`), "-I", root], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", (e) => resolve({ file, status: -1, out: String(e) }));
    child.on("close", (status) => resolve({ file, status, out }));
  });
}

// ptxas prints, per entry function: "Compiling entry function '<mangled or demangled>'", then
// "Function properties for ...", "<n> bytes stack frame, <n> bytes spill stores, <n> bytes spill
// loads", "Used <n> registers, ... <n> bytes smem".
function parse(file, text) {
  const rows = [];
  let current = null;
  for (const line of text.split("\n")) {
    const entry = line.match(/Compiling entry function '([^']+)'/);
    if (entry) {
      current = { file: basename(file), kernel: shortName(entry[1]), stack: 0, spillStores: 0, spillLoads: 0, registers: 0, smem: 0 };
      rows.push(current);
      continue;
    }
    if (!current) continue;
    const frame = line.match(/(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads/);
    if (frame) [current.stack, current.spillStores, current.spillLoads] = frame.slice(1).map(Number);
    const used = line.match(/Used (\d+) registers/);
    if (used) current.registers = Number(used[1]);
    const smem = line.match(/(\d+) bytes smem/);
    if (smem) current.smem = Number(smem[1]);
  }
  return rows;
}

// The functor (or kernel) a long template name is about: "multi_tensor_apply_kernel<7, 2,
// BlockwiseFunctor<Adam8bitRule>, ...>" -> "BlockwiseFunctor<Adam8bitRule>".
function shortName(name) {
  const plain = name.replace(/\(anonymous namespace\)::/g, "").replace(/cuoptim::(cuda::|math::)?/g, "").replace(/\(.*$/, "");
  const functor = plain.match(/multi_tensor_apply_kernel<\d+, \d+, ([A-Za-z0-9_:]+(?:<[^<>]*(?:<[^<>]*>)?[^<>]*>)?)/);
  if (functor) return functor[1];
  return plain.length > 70 ? `${plain.slice(0, 67)}...` : plain;
}

const queue = [...sources];
const results = [];
await Promise.all(Array.from({ length: jobs }, async () => {
  while (queue.length) {
    const file = queue.shift();
    results.push(await compile(file));
  }
}));
rmSync(scratch, { recursive: true, force: true });

const failedCompiles = results.filter((r) => r.status !== 0);
for (const r of failedCompiles) console.error(`resource check: nvcc failed on ${r.file}:\n${r.out}`);

// ptxas prints mangled names; c++filt (binutils) demangles them when it is there.
const demangle = (text) => {
  const run = spawnSync("c++filt", [], { input: text, encoding: "utf8" });
  return run.status === 0 ? run.stdout : text;
};
const rows = results.flatMap((r) => parse(r.file, demangle(r.out))).sort((a, b) => a.file.localeCompare(b.file) || a.kernel.localeCompare(b.kernel));
const bad = rows.filter((r) => !EXEMPT_FILES.has(r.file) && (r.stack > 0 || r.spillStores > 0 || r.spillLoads > 0));
const width = Math.max(...rows.map((r) => r.kernel.length), 6);
console.log(`ptxas resource usage for ${arch} (${rows.length} kernels in ${sources.length} files)`);
console.log(`${"file".padEnd(28)} ${"kernel".padEnd(width)}  regs   smem B  stack B  spill st/ld`);
for (const r of rows) {
  const flag = bad.includes(r) ? "  <- stack or spill" : EXEMPT_FILES.has(r.file) ? "  (self-test, not judged)" : "";
  console.log(`${r.file.padEnd(28)} ${r.kernel.padEnd(width)}  ${String(r.registers).padStart(4)}  ${String(r.smem).padStart(7)}  ${String(r.stack).padStart(7)}  ${`${r.spillStores}/${r.spillLoads}`.padStart(11)}${flag}`);
}
if (failedCompiles.length) process.exit(1);
if (rows.length === 0) {
  console.error("resource check: ptxas reported no kernels (is --resource-usage supported by this nvcc?)");
  process.exit(1);
}
if (bad.length) {
  console.error(`resource check: ${bad.length} kernel(s) use a stack frame or spill registers (see the table above)`);
  process.exit(1);
}
console.log("resource check: no stack frames, no spills");
