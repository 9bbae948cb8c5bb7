#!/usr/bin/env node
// scripts/build-native.mjs — the source build of the native addon. Installs from the registry do
// not run it (the package has no install script: prebuilds/ holds the binaries, which
// node-gyp-build finds at run time). It runs in a checkout (`npm ci` / `npm install`, through
// `prepare`), for `npm run build:native`, and by hand where no prebuild matches:
//   npm install --no-save cmake-js node-addon-api && node node_modules/cuoptim/scripts/build-native.mjs
//
// What it builds: cmake-js (the CUDA backend when a GPU is present, see below), else — when CMake
// or cmake-js is missing, or the CMake build fails — node-gyp with binding.gyp (cpu + cuda-sim).
// It prints what it builds and where its log is, keeps only build/Release/cuoptim.node (the
// intermediate objects are removed; CUOPTIM_KEEP_BUILD=1 keeps them), and says what to do when
// a tool is missing.
//
// Environment:
//   CUOPTIM_CUDA=AUTO|ON|OFF  AUTO (default): the cuda backend only when nvidia-smi finds a GPU
//                             (for its architectures) and nvcc is found; ON: always, for every
//                             architecture nvcc 13 has (or CUOPTIM_CUDA_ARCHS); OFF: never.
//   CUOPTIM_CUDA_ARCHS="75;90"  the architectures, overriding both
//   CUOPTIM_SANITIZE=1        AddressSanitizer + UndefinedBehaviorSanitizer
//   CUOPTIM_BUILD_FROM_SOURCE=1 (or --build-from-source)  build even when a binary already loads
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "package.json"));
const log = (msg) => console.log(`cuoptim: ${msg}`);
const SUPPORTED = "linux on x64 (glibc) or arm64";

const fromSource =
  process.argv.includes("--build-from-source") ||
  process.env.CUOPTIM_BUILD_FROM_SOURCE === "1" ||
  process.env.npm_config_build_from_source === "true";

function loadsAlready() {
  // A child process, so a binary that crashes on load cannot take the build down with it.
  const probe = `require('node-gyp-build')(${JSON.stringify(root)})`;
  return spawnSync(process.execPath, ["-e", probe], { cwd: root, stdio: "ignore" }).status === 0;
}

function resolves(name) {
  try {
    return require.resolve(name);
  } catch {
    return null;
  }
}

let logFile = null;  // made on the first build command, so a run that builds nothing leaves nothing

// Runs a build command with its output in the log, printing its progress every 20 s (the last
// "[12/76]" line of Ninja or "[ 15%]" line of make); on failure prints the log's last lines.
async function run(what, cmd, args, env = {}) {
  logFile ??= join(mkdtempSync(join(tmpdir(), "cuoptim-build-")), "build.log");
  log(`${what} (log: ${logFile})`);
  const fd = openSync(logFile, "a");
  const started = Date.now();
  const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", fd, fd], env: { ...process.env, ...env } });
  const ticker = setInterval(() => {
    const progress = readFileSync(logFile, "utf8").match(/^\[(?: *\d+%|\d+\/\d+)\].*$/gm)?.pop() ?? "";
    log(`  ${((Date.now() - started) / 1000).toFixed(0)} s ${progress}`);
  }, 20_000);
  const status = await new Promise((resolve) => child.on("close", (code, signal) => resolve(code ?? signal)));
  clearInterval(ticker);
  closeSync(fd);
  if (status === 0) return true;
  const tail = readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-60);
  console.log(tail.map((l) => `  | ${l}`).join("\n"));
  log(`${what}: failed (exit ${status}); the whole log is ${logFile}`);
  return false;
}

function has(cmd, args = ["--version"]) {
  return spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
}

// The compute capabilities of the GPUs nvidia-smi sees ("9.0" -> "90"), or null without a GPU/driver.
function gpuArchs() {
  const r = spawnSync("nvidia-smi", ["--query-gpu=compute_cap", "--format=csv,noheader"], { encoding: "utf8" });
  if (r.status !== 0 || !r.stdout) return null;
  const archs = [...new Set(r.stdout.split("\n").map((l) => l.trim().replace(".", "")).filter((l) => /^\d+$/.test(l)))];
  return archs.length ? archs : null;
}

// What CMake is told about the cuda backend: its switch, its architectures, and why it is absent.
function cudaPlan() {
  const mode = (process.env.CUOPTIM_CUDA ?? "AUTO").toUpperCase();
  const archs = process.env.CUOPTIM_CUDA_ARCHS;
  if (mode === "OFF") return { mode: "OFF", reason: "the CUDA backend was switched off (CUOPTIM_CUDA=OFF)", what: "no CUDA (CUOPTIM_CUDA=OFF)" };
  if (mode === "ON") return { mode: "ON", archs, what: `CUDA for ${archs ?? "every architecture nvcc has (sm_75 ... sm_120 + PTX)"}` };
  if (mode !== "AUTO") throw new Error(`CUOPTIM_CUDA must be AUTO, ON or OFF (got ${process.env.CUOPTIM_CUDA})`);
  const found = gpuArchs();
  if (!found && !archs) {
    return {
      mode: "OFF",
      reason: "no NVIDIA GPU or driver was found when it was built (CUOPTIM_CUDA=ON builds it anyway)",
      what: "no CUDA (no GPU found by nvidia-smi; CUOPTIM_CUDA=ON forces it)",
    };
  }
  const use = archs ?? found.join(";");
  return { mode: "AUTO", archs: use, what: `CUDA for sm_${use.split(";").join(", sm_")} if nvcc is found` };
}

async function cmakeBuild(plan) {
  const cmakeJs = resolves("cmake-js/bin/cmake-js");
  if (!cmakeJs) return null;
  const defs = [`--CDCUOPTIM_CUDA=${plan.mode}`];
  if (plan.archs) defs.push(`--CDCUOPTIM_CUDA_ARCHS=${plan.archs}`);
  if (plan.reason) defs.push(`--CDCUOPTIM_CUDA_OFF_REASON=${plan.reason}`);
  if (process.env.CUOPTIM_SANITIZE === "1") defs.push("--CDCUOPTIM_SANITIZE=ON");
  const parallel = String(Math.max(1, cpus().length));
  return run(`building cpu + cuda-sim, ${plan.what}, with CMake on ${parallel} cores`, process.execPath, [cmakeJs, "compile", "--out", "build", ...defs], {
    CMAKE_BUILD_PARALLEL_LEVEL: parallel,
  });
}

async function nodeGypBuild() {
  // npm names its bundled node-gyp in scripts; otherwise look beside npm itself.
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  ].filter(Boolean);
  const nodeGyp = candidates.find((c) => existsSync(c));
  if (!nodeGyp) {
    log("node-gyp was not found either: install CMake and cmake-js (npm install --no-save cmake-js), then run this again");
    return false;
  }
  return run("building cpu + cuda-sim with node-gyp (binding.gyp; no cuda backend)", process.execPath, [nodeGyp, "rebuild"]);
}

// Keeps build/Release/cuoptim.node and removes everything else the build left there.
function keepOnlyBinary() {
  if (process.env.CUOPTIM_KEEP_BUILD === "1") return;
  const binary = join(root, "build", "Release", "cuoptim.node");
  const bytes = readFileSync(binary);
  rmSync(join(root, "build"), { recursive: true, force: true });
  mkdirSync(dirname(binary), { recursive: true });
  writeFileSync(binary, bytes);
}

async function main() {
  if (process.platform !== "linux" || !["x64", "arm64"].includes(process.arch)) {
    log(`${process.platform}-${process.arch} is not supported: cuoptim runs on ${SUPPORTED}`);
    return 1;
  }
  if (!fromSource && loadsAlready()) {
    log("using the existing native binary (set CUOPTIM_BUILD_FROM_SOURCE=1 to rebuild)");
    return 0;
  }
  if (!resolves("node-addon-api")) {
    log("building from source needs node-addon-api and cmake-js: npm install --no-save cmake-js node-addon-api, then run this again");
    return 1;
  }
  const plan = cudaPlan();
  const started = Date.now();
  const done = (how) => {
    log(`built ${how} in ${((Date.now() - started) / 1000).toFixed(0)} s: build/Release/cuoptim.node`);
    return 0;
  };
  if (has("cmake")) {
    rmSync(join(root, "build"), { recursive: true, force: true });
    const ok = await cmakeBuild(plan);
    if (ok) {
      keepOnlyBinary();
      return done("with CMake");
    }
    if (ok === false && plan.mode === "AUTO") {
      log("the CMake build with CUDA failed; building without the cuda backend");
      rmSync(join(root, "build"), { recursive: true, force: true });
      if (await cmakeBuild({ mode: "OFF", reason: "its CUDA build failed (the log of that build names the error)", what: "no CUDA" })) {
        keepOnlyBinary();
        log("built cpu + cuda-sim only; fix the nvcc error above and build again for the cuda backend");
        return done("with CMake");
      }
    }
    if (ok === false && plan.mode === "ON") return 1;
    log(ok === null ? "cmake-js is not installed; falling back to node-gyp" : "the CMake build failed; falling back to node-gyp");
  } else {
    log("cmake not found; building with node-gyp (cpu + cuda-sim; install CMake and the CUDA toolkit for the cuda backend)");
  }
  if (!(await nodeGypBuild())) return 1;
  keepOnlyBinary();
  return done("with node-gyp");
}

process.exit(await main());
