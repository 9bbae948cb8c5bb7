#!/usr/bin/env node
// scripts/pack-check.mjs — `npm run pack:check`: what a user gets from the registry.
//   1. `npm run prepack` (dist/ and this platform's prebuild from the binary already built), then
//      `npm pack`; the tarball must hold a prebuild for every platform in CUOPTIM_PACK_PLATFORMS
//      (default: this one; CI adds linux-arm64).
//   2. attw (every entry point, every TypeScript resolution mode) and publint on the tarball.
//   3. Installs it into an empty project offline, with --ignore-scripts: it must take seconds
//      (under 30 s), compile nothing, and install none of the build tooling (cmake-js).
//   4. Adds @tensorflow/tfjs (the optional peer), loads the package with require() and import
//      (in one process too: one module instance), runs a step through cuoptim and through
//      cuoptim/tfjs, records a parity trajectory with cuoptim/parity and runs `cuoptim-parity` from
//      the package's bin (against torch where Debian's torch is installed), and type-checks a
//      TypeScript file against the shipped types.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const sh = (cmd, args, cwd, env = {}) => execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", env: { ...process.env, ...env } });
const step = (msg) => console.log(`pack:check: ${msg}`);
const bin = (pkg, path) => join(root, "node_modules", pkg, path);
const INSTALL_LIMIT_S = 30;

const dir = mkdtempSync(join(tmpdir(), "cuoptim-pack-"));
try {
  step("npm run prepack (dist/, prebuilds/), npm pack");
  sh("npm", ["run", "-s", "prepack"], root);
  const [{ filename, files }] = JSON.parse(sh("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dir], root));
  const tarball = join(dir, filename);
  const prebuilt = files.filter((f) => f.path.startsWith("prebuilds/")).map((f) => f.path);
  step(`${filename}: ${files.length} files; prebuilds: ${prebuilt.join(", ") || "none"}`);
  const platforms = (process.env.CUOPTIM_PACK_PLATFORMS ?? `${process.platform}-${process.arch}`).split(",").filter(Boolean);
  const missing = platforms.filter((p) => !prebuilt.includes(`prebuilds/${p}/node.napi.glibc.node`));
  if (missing.length) throw new Error(`the tarball has no prebuild for ${missing.join(", ")}`);
  // The README's images are shipped, so its relative links work on the registry page too.
  const images = [...readFileSync(join(root, "README.md"), "utf8").matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((u) => !/^https?:/.test(u));
  const unshipped = images.filter((img) => !files.some((f) => f.path === img));
  if (unshipped.length) throw new Error(`README images missing from the tarball: ${unshipped.join(", ")} (package.json "files")`);
  step(`README images shipped: ${images.join(", ")}`);

  step("attw (node10, node16 CJS and ESM, bundler) and publint");
  // Both exit non-zero on a problem; publint --strict also on a warning, and its suggestions are
  // checked here too: a clean package prints none.
  console.log(sh(process.execPath, [bin("@arethetypeswrong/cli", "dist/index.js"), tarball, "--format", "table-flipped", "--no-color", "--no-emoji"], dir).trim());
  const lint = sh(process.execPath, [bin("publint", "src/cli.js"), "run", tarball, "--strict"], dir, { NO_COLOR: "1" }).trim();
  console.log(lint);
  if (/Suggestions:|Warnings:|Errors:/.test(lint)) throw new Error("publint reported something (above)");

  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "cuoptim-pack-check", private: true, version: "1.0.0" }));
  // The runtime dependencies' registry metadata into npm's cache first (npm ci caches their
  // tarballs, not the metadata an install by name resolves through), so the install below needs
  // no network, also on a machine whose npm cache started empty.
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
  for (const name of Object.keys(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).dependencies ?? {})) {
    sh("npm", ["cache", "add", `${name}@${lock.packages[`node_modules/${name}`].version}`], dir);
  }
  step("npm install --offline --ignore-scripts <tarball> (the prebuild; no compiler, no network)");
  const started = Date.now();
  sh("npm", ["install", "--offline", "--ignore-scripts", "--no-audit", "--no-fund", tarball], dir);
  const seconds = (Date.now() - started) / 1000;
  step(`install took ${seconds.toFixed(1)} s (limit ${INSTALL_LIMIT_S} s)`);
  if (seconds > INSTALL_LIMIT_S) throw new Error(`installing the tarball took ${seconds.toFixed(1)} s, over ${INSTALL_LIMIT_S} s`);
  if (existsSync(join(dir, "node_modules", "cmake-js"))) throw new Error("the install pulled in cmake-js: the build tooling must not be a runtime dependency");
  if (existsSync(join(dir, "node_modules", "cuoptim", "build"))) throw new Error("the install built the addon (node_modules/cuoptim/build exists)");
  // What npm runs when a registry package is installed: preinstall / install / postinstall, and
  // node-gyp when a binding.gyp ships without "gypfile": false. None of them, so npm's strictest
  // script policy (strict-allow-scripts) accepts it. (`prepare` builds a clone; npm runs it for git
  // and file dependencies only, never for a registry install.)
  const shipped = JSON.parse(readFileSync(join(dir, "node_modules", "cuoptim", "package.json"), "utf8"));
  const hooks = ["preinstall", "install", "postinstall"].filter((h) => shipped.scripts?.[h]);
  if (hooks.length) throw new Error(`the package has install-time scripts: ${hooks.join(", ")}`);
  if (shipped.gypfile !== false) throw new Error('binding.gyp ships without "gypfile": false, so npm would run node-gyp on install');
  step("no install-time script (preinstall/install/postinstall) and gypfile false: nothing runs when it is installed");
  if (existsSync(join(dir, "node_modules", "cuoptim", "parity", "python", "cuoptim_parity", "__pycache__"))) throw new Error("the package ships Python bytecode (__pycache__)");
  step("npm install @tensorflow/tfjs (the optional peer, for the cuoptim/tfjs check)");
  sh("npm", ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", "@tensorflow/tfjs"], dir);

  writeFileSync(join(dir, "check.cjs"), `
const { AdamW, tensor, backends } = require("cuoptim");
const p = tensor(new Float32Array([1, 2, 3]), [3], { device: "cpu" });
p.grad = tensor(new Float32Array([1, 1, 1]), [3], { device: "cpu" });
new AdamW([p], { lr: 0.1 }).step();
if (!(p.toArray()[0] < 1)) throw new Error("no step");
console.log("require: ok; backends: " + backends().map((b) => b.name + (b.available ? " available" : " unavailable (" + b.reason + ")")).join("; "));
const distributed = require("cuoptim/distributed");
const world = distributed.init();
const z = new distributed.ZeroRedundancyOptimizer([tensor(new Float32Array([1, 2]), [2])], AdamW, { stage: 2 });
if (world.worldSize !== 1 || z.worldSize !== 1) throw new Error("cuoptim/distributed: expected a world of one without a launcher");
console.log("require cuoptim/distributed: ok (a world of one without mpirun)");
const parity = require("cuoptim/parity");
const t = parity.record({ name: "tiny", optimizer: "AdamW", params: [{ name: "w", shape: [3] }], grads: { source: "synthetic", seed: 1 }, seed: 2, steps: 2, snapshots: [2] });
if (!t.tensors.has("float32/step/2/param/w") || !require("node:fs").existsSync(parity.generatorsDir())) throw new Error("cuoptim/parity: record, or the shipped generators");
console.log("require cuoptim/parity: ok (a recorded trajectory; generators at " + require("node:path").relative(process.cwd(), parity.generatorsDir()) + ")");
`);
  writeFileSync(join(dir, "check.mjs"), `
import * as tf from "@tensorflow/tfjs";
import { createRequire } from "node:module";
import { SGD, CuoptimError, AdamW } from "cuoptim";
import { CuoptimOptimizer } from "cuoptim/tfjs";
await tf.setBackend("cpu");
const v = tf.variable(tf.tensor1d([1, 2]));
const opt = new CuoptimOptimizer({ optimizer: "SGD", options: { lr: 0.5 }, device: "cpu" });
opt.minimize(() => tf.sum(tf.square(v)));
const got = Array.from(v.dataSync());
if (got[0] !== 0 || got[1] !== 0) throw new Error("tfjs step: " + got);
try { new SGD([]); } catch (e) { if (!(e instanceof CuoptimError)) throw e; }
const required = createRequire(import.meta.url)("cuoptim");
if (required.AdamW !== AdamW || required.CuoptimError !== CuoptimError) throw new Error("import and require give two module instances");
const { ZeroRedundancyOptimizer, isInitialized } = await import("cuoptim/distributed");
if (typeof ZeroRedundancyOptimizer !== "function" || isInitialized()) throw new Error("cuoptim/distributed: import");
console.log("import (cuoptim, cuoptim/tfjs, cuoptim/distributed): ok; require in the same process: the same instance");
`);
  writeFileSync(join(dir, "check.ts"), `
import { AdamW, tensor, type StepResult, type CheckpointInfo } from "cuoptim";
import { CuoptimOptimizer, type CuoptimTfjsConfig } from "cuoptim/tfjs";
import { ZeroRedundancyOptimizer, type WorldInfo, type ZeroOptions } from "cuoptim/distributed";
const p = tensor(new Float32Array(4), [4]);
const zeroOptions: ZeroOptions = { stage: 2 };
const makeZero = (): ZeroRedundancyOptimizer<object> => new ZeroRedundancyOptimizer([p], AdamW, { lr: 1e-3, ...zeroOptions });
const world: WorldInfo | null = null;
const r: StepResult = new AdamW([p]).step();
const c: CuoptimTfjsConfig = { optimizer: "AdamW", options: { lr: 1e-3 } };
const o: CuoptimOptimizer = new CuoptimOptimizer(c);
const info: CheckpointInfo | null = null;
export { r, o, info, makeZero, world };
`);
  console.log(sh(process.execPath, ["check.cjs"], dir).trim());
  console.log(sh(process.execPath, ["check.mjs"], dir).trim());
  // The CLI from the package's bin, with a live torch reference where Debian's torch is installed (CI).
  writeFileSync(join(dir, "tiny.case.json"), JSON.stringify({ name: "tiny", optimizer: "Adam", params: [{ name: "w", shape: [4, 3] }], grads: { source: "synthetic", seed: 1 }, seed: 2, steps: 5, snapshots: [1, 5] }));
  const torchHere = spawnSync("/usr/bin/python3", ["-c", "import torch"]).status === 0;
  const parityArgs = torchHere ? ["run", "tiny.case.json", "--ref", "torch", "--python", "/usr/bin/python3"] : ["record", "tiny.case.json", "--out", "tiny.safetensors"];
  console.log(sh("npx", ["--no", "cuoptim-parity", ...parityArgs], dir).trim().split("\n").pop());
  step(`npx cuoptim-parity ${parityArgs[0]}: ok${torchHere ? " (against torch, with the shipped generator)" : " (no torch here: record only)"}`);
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  sh(process.execPath, [tsc, "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--skipLibCheck", "check.ts"], dir);
  step("types: ok (check.ts compiles against the shipped .d.ts)");
  step("passed");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
