// tsup.config.ts — builds src-ts/ into dist/ as ESM (index.js) + CJS (index.cjs) with .d.ts/.d.cts.
import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src-ts/index.ts" },
  format: ["esm", "cjs"],
  dts: true,
  shims: true,
  clean: true,
  target: "node20",
  sourcemap: true,
  splitting: false,
});
