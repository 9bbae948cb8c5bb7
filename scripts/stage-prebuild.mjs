#!/usr/bin/env node
// scripts/stage-prebuild.mjs — `npm run prebuild:stage`: turns the binary that `npm install` (or
// `npm run build:native`) already built into this platform's prebuild, without compiling again:
// build/Release/cuoptim.node is copied to prebuilds/<platform>-<arch>/node.napi.node (the name
// prebuildify gives an N-API build, which node-gyp-build finds) and stripped of debug symbols.
// `npm pack` then ships it (package.json "files" lists prebuilds/). Prints the path it wrote.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const built = join(root, "build", "Release", "cuoptim.node");
if (!existsSync(built)) {
  console.error(`prebuild:stage: ${built} does not exist; build it first (npm install or npm run build:native)`);
  process.exit(1);
}
const dir = join(root, "prebuilds", `${process.platform}-${process.arch}`);
const out = join(dir, "node.napi.node");
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
console.log(`prebuild:stage: ${out} (${(statSync(out).size / 2 ** 20).toFixed(1)} MiB)`);
