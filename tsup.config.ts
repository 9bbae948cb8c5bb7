// tsup.config.ts — builds src-ts/ into dist/ as ESM (index.js, tfjs.js, distributed.js, parity.js) + CJS
// (index.cjs, tfjs.cjs, distributed.cjs, parity.cjs) with .d.ts/.d.cts. Splitting puts the code the entries
// share in one chunk per format, so `cuoptim`, `cuoptim/tfjs` and `cuoptim/distributed` use the
// same module instances (one CuoptimError class).
import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src-ts/index.ts", tfjs: "src-ts/tfjs/index.ts", distributed: "src-ts/distributed/index.ts", parity: "src-ts/parity/index.ts" },
  format: ["esm", "cjs"],
  dts: true,
  shims: true,
  clean: true,
  target: "node20",
  sourcemap: true,
  splitting: true,
});
