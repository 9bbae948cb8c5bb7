#!/usr/bin/env node
// scripts/install.mjs — `npm install` hook: use a matching prebuild, else build from source.
//
// Order: a prebuild or an existing build/Release binary that loads (node-gyp-build's search);
// else cmake-js (the primary build; the CUDA backend when nvcc is found); else, when CMake is
// missing or the CMake build fails, node-gyp with binding.gyp (cpu + cuda-sim only).
// Environment: CUOPTIM_CUDA=AUTO|ON|OFF, CUOPTIM_CUDA_ARCHS="75;80;...", CUOPTIM_SANITIZE=1,
// CUOPTIM_BUILD_FROM_SOURCE=1 (or --build-from-source) to skip the prebuild check.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const log = (msg) => console.log(`cuoptim: ${msg}`);

const fromSource =
  process.argv.includes("--build-from-source") ||
  process.env.CUOPTIM_BUILD_FROM_SOURCE === "1" ||
  process.env.npm_config_build_from_source === "true";

function loadsAlready() {
  // A child process, so a binary that crashes on load cannot take the installer down with it.
  const probe = `require('node-gyp-build')(${JSON.stringify(root)})`;
  return spawnSync(process.execPath, ["-e", probe], { cwd: root, stdio: "ignore" }).status === 0;
}

function run(cmd, args, env = {}) {
  log(`${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
  return r.status === 0;
}

function has(cmd) {
  return spawnSync(cmd, ["--version"], { stdio: "ignore" }).status === 0;
}

function cmakeBuild(cuda) {
  const cmakeJs = require.resolve("cmake-js/bin/cmake-js");
  const defs = [`--CDCUOPTIM_CUDA=${cuda}`];
  if (process.env.CUOPTIM_CUDA_ARCHS) defs.push(`--CDCUOPTIM_CUDA_ARCHS=${process.env.CUOPTIM_CUDA_ARCHS}`);
  if (process.env.CUOPTIM_SANITIZE === "1") defs.push("--CDCUOPTIM_SANITIZE=ON");
  const parallel = String(Math.max(1, cpus().length));
  return run(process.execPath, [cmakeJs, "compile", "--out", "build", ...defs], { CMAKE_BUILD_PARALLEL_LEVEL: parallel });
}

function nodeGypBuild() {
  // npm names its bundled node-gyp in lifecycle scripts; otherwise look beside npm itself.
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  ].filter(Boolean);
  const nodeGyp = candidates.find((c) => existsSync(c));
  if (!nodeGyp) {
    log("node-gyp not found either; install cmake (preferred) or node-gyp and run `npm rebuild cuoptim`");
    return false;
  }
  return run(process.execPath, [nodeGyp, "rebuild"]);
}

function main() {
  if (!fromSource && loadsAlready()) {
    log("using the existing native binary (set CUOPTIM_BUILD_FROM_SOURCE=1 to rebuild)");
    return 0;
  }
  const cuda = (process.env.CUOPTIM_CUDA ?? "AUTO").toUpperCase();
  if (has("cmake")) {
    rmSync(join(root, "build"), { recursive: true, force: true });
    if (cmakeBuild(cuda)) return 0;
    if (cuda === "AUTO") {
      log("the CMake build with CUDA=AUTO failed; retrying without the CUDA backend");
      rmSync(join(root, "build"), { recursive: true, force: true });
      if (cmakeBuild("OFF")) {
        log("built cpu + cuda-sim only; fix the nvcc error above and run `npm rebuild cuoptim` for the cuda backend");
        return 0;
      }
    }
    if (cuda === "ON") return 1;
    log("the CMake build failed; falling back to node-gyp (cpu + cuda-sim)");
  } else {
    log("cmake not found; building with node-gyp (cpu + cuda-sim; install cmake and the CUDA toolkit for the cuda backend)");
  }
  return nodeGypBuild() ? 0 : 1;
}

process.exit(main());
