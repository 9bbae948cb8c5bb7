// tsup.config.ts — builds src-ts/ into dist/ as ESM (index.js, tfjs.js) + CJS (index.cjs,
// tfjs.cjs) with .d.ts/.d.cts. Splitting puts the code both entries share in one chunk per
// format, so `cuoptim` and `cuoptim/tfjs` use the same module instances (one CuoptimError class).
import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src-ts/index.ts", tfjs: "src-ts/tfjs/index.ts" },
  format: ["esm", "cjs"],
  dts: true,
  shims: true,
  clean: true,
  target: "node20",
  sourcemap: true,
  splitting: true,
});
