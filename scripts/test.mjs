#!/usr/bin/env node
// scripts/test.mjs — `npm test`: uvu over test/*.test.ts (TypeScript through tsx), in one process.
// uvu colours its output unless told not to; here colours are only for a terminal, so logs and CI
// get plain text. An argument replaces the file pattern: `npm test -- "^tfjs"`
// (scripts/run-test-files.mjs passes the pattern of its list).
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tty = Boolean(process.stdout.isTTY);
const pattern = process.argv[2] ?? ".test.ts$";
const env = { ...process.env };
if (!tty) {
  delete env.FORCE_COLOR;
  env.NO_COLOR = "1";
}
// Which backends the tests run on (test/helpers/devices.ts chooses them), and why the others are
// not tested here: a backend that cannot run is reported, not counted as passed.
// CUOPTIM_BINARY (the sanitizer pass's build) must be the binary that loaded: the loader would
// otherwise fall back to the regular build without a word.
const backendsProbe = `
  import { createRequire } from "node:module";
  import { resolve } from "node:path";
  import { backends } from "./src-ts/index.ts";
  import { testDevices } from "./test/helpers/devices.ts";
  const explicit = process.env.CUOPTIM_BINARY;
  if (backends().length && explicit && !(resolve(explicit) in createRequire(import.meta.url).cache)) {
    console.error("CUOPTIM_BINARY=" + explicit + " did not load (another build was used instead)");
    process.exit(1);
  }
  const tested = testDevices();
  const not = backends().filter((b) => !tested.includes(b.name)).map((b) => b.name + " (" + (b.available ? "not in CUOPTIM_TEST_DEVICES" : b.reason) + ")");
  console.log("backends under test: " + tested.join(", ") + (not.length ? "; not tested here: " + not.join("; ") : ""));
`;
const probe = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", backendsProbe], { cwd: root, stdio: "inherit", env });
if (probe.status !== 0) process.exit(probe.status ?? 1);
const uvu = join(root, "node_modules", "uvu", "bin.js");
const r = spawnSync(process.execPath, ["--import", "tsx", uvu, "test", pattern, ...(tty ? [] : ["--no-color"])], { cwd: root, stdio: "inherit", env });
process.exit(r.status ?? 1);
