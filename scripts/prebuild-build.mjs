#!/usr/bin/env node
// scripts/prebuild-build.mjs — the build command prebuildify runs (PREBUILD_NODE_GYP) for
// `npm run prebuild`: cmake-js instead of node-gyp, so prebuilds carry the cuda backend when nvcc
// is present (CUOPTIM_CUDA=AUTO; cudart is linked statically, so a machine without a GPU still
// loads them and runs cpu and cuda-sim). prebuildify's node-gyp arguments are ignored: the
// addon is N-API, one binary serves every Node version. Leaves build/Release/cuoptim.node, which
// prebuildify moves into prebuilds/<platform>-<arch>/.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cmakeJs = createRequire(import.meta.url).resolve("cmake-js/bin/cmake-js");
const cuda = process.env.CUOPTIM_CUDA ?? "AUTO";
const defs = [`--CDCUOPTIM_CUDA=${cuda}`];
if (process.env.CUOPTIM_CUDA_ARCHS) defs.push(`--CDCUOPTIM_CUDA_ARCHS=${process.env.CUOPTIM_CUDA_ARCHS}`);
const r = spawnSync(process.execPath, [cmakeJs, "rebuild", "--out", "build", ...defs], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, CMAKE_BUILD_PARALLEL_LEVEL: String(cpus().length) },
});
process.exit(r.status ?? 1);
