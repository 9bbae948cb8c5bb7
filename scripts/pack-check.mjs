#!/usr/bin/env node
// scripts/pack-check.mjs — `npm run pack:check`: what a user gets from the registry. Packs the
// package, installs the tarball (and @tensorflow/tfjs, the optional peer) into an empty project
// in a temporary directory — which builds the addon from source, or uses prebuilds/ when they were
// made with `npm run prebuild` — then loads it with require() and import, runs a step through
// cuoptim and through cuoptim/tfjs, and type-checks a TypeScript file against the shipped types.
// CUOPTIM_CUDA (default OFF here, for speed) is passed to the install. With
// CUOPTIM_PACK_EXPECT_PREBUILD=1 (CI, after `npm run prebuild:stage`) the install must take the
// shipped prebuild: a tarball whose install compiles fails the check.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const sh = (cmd, args, cwd, env = {}) => execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", env: { ...process.env, ...env } });
const step = (msg) => console.log(`pack:check: ${msg}`);

const dir = mkdtempSync(join(tmpdir(), "cuoptim-pack-"));
try {
  step("build dist/ (tsup), npm pack");
  sh("npm", ["run", "build:ts"], root);
  const [{ filename, files }] = JSON.parse(sh("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dir], root));
  step(`${filename}: ${files.length} files`);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "cuoptim-pack-check", private: true, version: "1.0.0" }));
  step("npm install <tarball> @tensorflow/tfjs (builds the addon unless a prebuild matches)");
  const started = Date.now();
  const log = sh("npm", ["install", "--foreground-scripts", "--no-audit", "--no-fund", join(dir, filename), "@tensorflow/tfjs"], dir, {
    CUOPTIM_CUDA: process.env.CUOPTIM_CUDA ?? "OFF",
  });
  const how = log.split("\n").filter((l) => l.startsWith("cuoptim:")).pop();
  if (how) step(how);
  step(`install took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (process.env.CUOPTIM_PACK_EXPECT_PREBUILD === "1") {
    if (!files.some((f) => f.path.startsWith("prebuilds/"))) throw new Error("the tarball ships no prebuilds/ (run npm run prebuild:stage first)");
    if (!how || !how.includes("using the existing native binary")) throw new Error(`the install did not take the shipped prebuild: ${how ?? "(no cuoptim: line)"}`);
  }

  writeFileSync(join(dir, "check.cjs"), `
const { AdamW, tensor, backends } = require("cuoptim");
const p = tensor(new Float32Array([1, 2, 3]), [3], { device: "cpu" });
p.grad = tensor(new Float32Array([1, 1, 1]), [3], { device: "cpu" });
new AdamW([p], { lr: 0.1 }).step();
if (!(p.toArray()[0] < 1)) throw new Error("no step");
console.log("require: ok; backends " + backends().filter((b) => b.available).map((b) => b.name).join(", "));
`);
  writeFileSync(join(dir, "check.mjs"), `
import * as tf from "@tensorflow/tfjs";
import { SGD, CuoptimError } from "cuoptim";
import { CuoptimOptimizer } from "cuoptim/tfjs";
await tf.setBackend("cpu");
const v = tf.variable(tf.tensor1d([1, 2]));
const opt = new CuoptimOptimizer({ optimizer: "SGD", options: { lr: 0.5 }, device: "cpu" });
opt.minimize(() => tf.sum(tf.square(v)));
const got = Array.from(v.dataSync());
if (got[0] !== 0 || got[1] !== 0) throw new Error("tfjs step: " + got);
try { new SGD([]); } catch (e) { if (!(e instanceof CuoptimError)) throw e; }
console.log("import (cuoptim, cuoptim/tfjs): ok");
`);
  writeFileSync(join(dir, "check.ts"), `
import { AdamW, tensor, type StepResult, type CheckpointInfo } from "cuoptim";
import { CuoptimOptimizer, type CuoptimTfjsConfig } from "cuoptim/tfjs";
const p = tensor(new Float32Array(4), [4]);
const r: StepResult = new AdamW([p]).step();
const c: CuoptimTfjsConfig = { optimizer: "AdamW", options: { lr: 1e-3 } };
const o: CuoptimOptimizer = new CuoptimOptimizer(c);
const info: CheckpointInfo | null = null;
export { r, o, info };
`);
  console.log(sh(process.execPath, ["check.cjs"], dir).trim());
  console.log(sh(process.execPath, ["check.mjs"], dir).trim());
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  sh(process.execPath, [tsc, "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--skipLibCheck", "check.ts"], dir);
  step("types: ok (check.ts compiles against the shipped .d.ts)");
  step("passed");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
