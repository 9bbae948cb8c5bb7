#!/usr/bin/env node
// scripts/cross-build-arm64.mjs — `npm run prebuild:arm64`: cross-compiles the linux-arm64
// prebuild on an x86-64 machine with Debian's aarch64 toolchain (apt install
// g++-aarch64-linux-gnu) and writes prebuilds/linux-arm64/node.napi.glibc.node, which `npm pack`
// then ships beside the x64 one. It holds the cpu backend (the portable kernels, which GCC
// vectorises with NEON; the same bits as x86, since nothing contracts into FMA) and cuda-sim; no
// cuda backend. The binary cannot be loaded here, so the check is its ELF header: a 64-bit
// little-endian shared object for AArch64 (e_machine 183).
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, openSync, readSync, closeSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cmakeJs = createRequire(import.meta.url).resolve("cmake-js/bin/cmake-js");
const out = "build-arm64";
const say = (msg) => console.log(`prebuild:arm64: ${msg}`);

if (spawnSync("aarch64-linux-gnu-g++", ["--version"], { stdio: "ignore" }).status !== 0) {
  console.error("prebuild:arm64: aarch64-linux-gnu-g++ not found (Debian: apt install g++-aarch64-linux-gnu)");
  process.exit(1);
}
const started = Date.now();
rmSync(join(root, out), { recursive: true, force: true });
const r = spawnSync(
  process.execPath,
  [
    cmakeJs, "compile", "--out", out, "--arch", "arm64",
    `--CDCMAKE_TOOLCHAIN_FILE=${join(root, "scripts", "aarch64-linux-gnu.cmake")}`,
    "--CDCUOPTIM_CUDA=OFF",
    "--CDCUOPTIM_CUDA_OFF_REASON=the linux-arm64 build has no cuda backend (cpu and cuda-sim only)",
  ],
  { cwd: root, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", env: { ...process.env, CMAKE_BUILD_PARALLEL_LEVEL: String(cpus().length) } },
);
if (r.status !== 0) {
  console.log(r.stdout);
  console.error("prebuild:arm64: the cross build failed");
  process.exit(1);
}
const built = join(root, out, "Release", "cuoptim.node");
const header = Buffer.alloc(20);
const fd = openSync(built, "r");
readSync(fd, header, 0, 20, 0);
closeSync(fd);
const elf = header.subarray(0, 4).toString("latin1") === "\x7fELF";
const machine = header.readUInt16LE(18);
if (!elf || header[4] !== 2 || header[5] !== 1 || header.readUInt16LE(16) !== 3 || machine !== 183) {
  console.error(`prebuild:arm64: ${built} is not a 64-bit little-endian AArch64 shared object (e_machine ${machine})`);
  process.exit(1);
}
const dir = join(root, "prebuilds", "linux-arm64");
const dest = join(dir, "node.napi.glibc.node");
mkdirSync(dir, { recursive: true });
copyFileSync(built, dest);
spawnSync("aarch64-linux-gnu-strip", ["--strip-debug", dest], { stdio: "inherit" });
rmSync(join(root, out), { recursive: true, force: true });
say(`${dest}: AArch64 ELF shared object, ${(statSync(dest).size / 2 ** 20).toFixed(1)} MiB, built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
