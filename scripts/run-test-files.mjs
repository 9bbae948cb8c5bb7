#!/usr/bin/env node
// scripts/run-test-files.mjs — runs the test files a list names, in one uvu process, as
// `npm test` runs them all (scripts/test.mjs): `node scripts/run-test-files.mjs LIST`. LIST has one file name of
// test/ per line; `#` starts a comment (each entry says why it is there). A name that matches no
// file fails the run, so a renamed test cannot silently drop out of the list.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const list = process.argv[2];
if (!list) {
  console.error("usage: node scripts/run-test-files.mjs LIST");
  process.exit(2);
}
const names = readFileSync(list, "utf8")
  .split("\n")
  .map((l) => l.replace(/#.*/, "").trim())
  .filter(Boolean);
const missing = names.filter((n) => !existsSync(join(root, "test", n)));
if (missing.length) {
  console.error(`${list}: no such test file: ${missing.join(", ")}`);
  process.exit(2);
}
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const pattern = `^(${names.map(escape).join("|")})$`;
console.log(`${names.length} test files from ${list}: ${names.join(" ")}`);
const r = spawnSync(process.execPath, [join(root, "scripts", "test.mjs"), pattern], { cwd: root, stdio: "inherit" });
process.exit(r.status ?? 1);
