#!/usr/bin/env node
// scripts/arm64-check.mjs — `npm run prebuild:arm64:check`: runs the linux-arm64 prebuild on this
// x86-64 machine under qemu-aarch64 and requires the same bits as the native build. Debian's
// arm64 Node (18, N-API 9) and its libraries are fetched with `apt-get download` into
// .cache/arm64-root (nothing is installed; needs `dpkg --add-architecture arm64`, an apt update,
// and qemu-user), then scripts/arm64-workload.cjs runs once natively and once emulated, on cpu
// and cuda-sim, and every case's SHA-256 of params, state and quantized codes must agree.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const prebuild = join(root, "prebuilds", "linux-arm64", "node.napi.glibc.node");
const sysroot = join(root, ".cache", "arm64-root");
const say = (msg) => console.log(`arm64 check: ${msg}`);
const fail = (msg) => {
  console.error(`arm64 check: ${msg}`);
  process.exit(1);
};

// Debian bookworm's nodejs for arm64 and what it loads (libraries, and the builtins Debian keeps
// in /usr/share/nodejs, which qemu finds under the -L prefix).
const PACKAGES = [
  "nodejs:arm64", "libnode108:arm64", "libbrotli1:arm64", "libc-ares2:arm64", "libicu72:arm64", "libnghttp2-14:arm64",
  "libssl3:arm64", "libuv1:arm64", "zlib1g:arm64", "libstdc++6:arm64", "libgcc-s1:arm64", "libc6:arm64",
  "node-cjs-module-lexer", "node-acorn", "node-undici", "node-busboy",
];

if (!existsSync(prebuild)) fail(`${prebuild} does not exist: run npm run prebuild:arm64 first`);
if (spawnSync("qemu-aarch64", ["--version"], { stdio: "ignore" }).status !== 0) fail("qemu-aarch64 not found (Debian: apt install qemu-user)");
if (!existsSync(join(sysroot, "usr", "bin", "node"))) {
  const debs = join(root, ".cache", "arm64-debs");
  rmSync(debs, { recursive: true, force: true });
  mkdirSync(debs, { recursive: true });
  const got = spawnSync("apt-get", ["download", ...PACKAGES], { cwd: debs, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  if (got.status !== 0) fail(`apt-get download failed (is arm64 added: dpkg --add-architecture arm64 && apt-get update?):\n${got.stderr}`);
  for (const deb of readdirSync(debs)) execFileSync("dpkg", ["-x", join(debs, deb), sysroot]);
  rmSync(debs, { recursive: true, force: true });
}
const libs = [join(sysroot, "usr", "lib", "aarch64-linux-gnu"), join(sysroot, "lib", "aarch64-linux-gnu")].join(":");
const workload = join(root, "scripts", "arm64-workload.cjs");
const native = JSON.parse(execFileSync(process.execPath, [workload], { cwd: root, encoding: "utf8" }));
const started = Date.now();
const emulated = JSON.parse(
  execFileSync("qemu-aarch64", ["-L", sysroot, "-E", `LD_LIBRARY_PATH=${libs}`, "-E", `CUOPTIM_BINARY=${prebuild}`, join(sysroot, "usr", "bin", "node"), workload], {
    cwd: root,
    encoding: "utf8",
  }),
);
say(`native ${native.arch} (${native.isa} kernels) vs emulated ${emulated.arch} (${emulated.isa} kernels, ${((Date.now() - started) / 1000).toFixed(0)} s under qemu)`);
if (emulated.arch !== "arm64") fail(`the emulated run reports ${emulated.arch}`);
const cases = Object.keys(native.digests);
const differ = cases.filter((k) => native.digests[k] !== emulated.digests[k]);
for (const k of cases) console.log(`  ${native.digests[k] === emulated.digests[k] ? "same bits" : "DIFFERENT"}  ${k}`);
if (differ.length) fail(`${differ.length} of ${cases.length} cases differ between x86-64 and arm64`);
say(`all ${cases.length} cases give the same bits on x86-64 and arm64`);
