#!/usr/bin/env node
// scripts/stage-prebuild.mjs — `npm run prebuild:stage`, and `npm pack` through prepack: turns
// the binary the source build already made into this platform's prebuild, without compiling
// again. build/Release/cuoptim.node is copied to prebuilds/<platform>-<arch>/node.napi.glibc.node
// (prebuildify's name for an N-API glibc build, which node-gyp-build finds at run time) and
// stripped of debug symbols; `npm pack` ships prebuilds/ (package.json "files"). The
// cross-compiled linux-arm64 prebuild is made by `npm run prebuild:arm64`, also into prebuilds/.
// --if-built (prepack): with no build/Release binary, say so and keep prebuilds/ as it is.
// Prints what prebuilds/ holds.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const built = join(root, "build", "Release", "cuoptim.node");
const prebuilds = join(root, "prebuilds");

function stage() {
  const dir = join(prebuilds, `${process.platform}-${process.arch}`);
  const out = join(dir, "node.napi.glibc.node");
  mkdirSync(dir, { recursive: true });
  copyFileSync(built, out);
  // --strip-debug keeps the dynamic symbol table (the N-API entry points) and drops the rest.
  const strip = spawnSync("strip", ["--strip-debug", out], { stdio: "inherit" });
  if (strip.error || strip.status !== 0) console.log("prebuild:stage: strip not available; shipping the unstripped binary");
  // A child process loads it, so a broken binary fails here rather than in a user's install.
  const probe = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(out)})`], { stdio: "inherit" });
  if (probe.status !== 0) {
    console.error(`prebuild:stage: ${out} does not load`);
    process.exit(1);
  }
}

if (existsSync(built)) stage();
else if (process.argv.includes("--if-built")) console.log(`prebuild:stage: no ${built}; prebuilds/ is shipped as it is`);
else {
  console.error(`prebuild:stage: ${built} does not exist; build it first (npm ci or npm run build:native)`);
  process.exit(1);
}
for (const platform of existsSync(prebuilds) ? readdirSync(prebuilds) : []) {
  for (const f of readdirSync(join(prebuilds, platform))) {
    console.log(`prebuild:stage: prebuilds/${platform}/${f} (${(statSync(join(prebuilds, platform, f)).size / 2 ** 20).toFixed(1)} MiB)`);
  }
}
