#!/usr/bin/env node
// scripts/esm-entries.mjs — runs after tsup: makes each ESM entry (dist/index.js, dist/tfjs.js)
// a re-export of its CommonJS build, so `import` and `require` share one module instance: one
// CuoptimError class, one Tensor class, one loaded addon. tsup's own ESM code (and its chunks) is
// removed; its .d.ts files stay, the ESM entries' types. The names are read from the CJS build,
// and Node checks each of them when the ESM entry is imported (a name its CJS export detection
// missed is a SyntaxError here, at build time, not in a user's program).
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const require = createRequire(import.meta.url);
const entries = ["index", "tfjs", "distributed", "parity"];

for (const f of readdirSync(dist)) {
  if (/^chunk-.*\.js(\.map)?$/.test(f) || entries.some((e) => f === `${e}.js.map`)) rmSync(join(dist, f));
}
for (const entry of entries) {
  const names = Object.keys(require(join(dist, `${entry}.cjs`))).filter((n) => n !== "__esModule" && n !== "default");
  const header = `// ${entry}.js — the ESM entry: the CommonJS build's exports, so import and require share one instance.\n`;
  writeFileSync(join(dist, `${entry}.js`), `${header}export {\n${names.map((n) => `  ${n},`).join("\n")}\n} from "./${entry}.cjs";\n`);
  const esm = await import(pathToFileURL(join(dist, `${entry}.js`)).href);
  const cjs = require(join(dist, `${entry}.cjs`));
  const differ = names.filter((n) => esm[n] !== cjs[n]);
  if (differ.length) throw new Error(`esm-entries: ${entry}.js does not re-export ${differ.join(", ")} from ${entry}.cjs`);
  console.log(`esm-entries: dist/${entry}.js re-exports ${names.length} names from dist/${entry}.cjs`);
}
