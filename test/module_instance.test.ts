// test/module_instance.test.ts — `import "cuoptim"` and `require("cuoptim")` are one module
// instance (dist/index.js re-exports dist/index.cjs; scripts/esm-entries.mjs): in one process, a
// tensor made through one is stepped by an optimizer made through the other, and instanceof
// CuoptimError holds across them; the same for cuoptim/tfjs. Runs the built package (dist/, as
// `npm ci` and `npm run build:ts` leave it) in a child process, so this process's own copy of the
// sources is not mixed with it.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");

const script = `
import { createRequire } from "node:module";
const require = createRequire(${JSON.stringify(join(root, "package.json"))});
const esm = await import("cuoptim");
const cjs = require("cuoptim");
const out = {};
out.sameClasses = ["AdamW", "Tensor", "CuoptimError", "SGD", "EMA"].filter((n) => n in esm).every((n) => esm[n] === cjs[n]);
const p = esm.tensor(new Float32Array([1, 2, 3]), [3], { device: "cpu" });
p.grad = cjs.tensor(new Float32Array([1, 1, 1]), [3], { device: "cpu" });
out.result = new cjs.AdamW([p], { lr: 0.1 }).step();
out.moved = Array.from(p.toArray()).every((v, i) => v < i + 1);
try { new esm.SGD([p], { lr: -1 }); } catch (e) { out.errorAcross = e instanceof cjs.CuoptimError && e.code === "ERR_RANGE"; out.message = e.message; }
try { cjs.tensor(new Float32Array(2), [3]); } catch (e) { out.nativeErrorAcross = e instanceof esm.CuoptimError; }
const tfEsm = await import("cuoptim/tfjs");
out.sameTfjs = tfEsm.CuoptimOptimizer === require("cuoptim/tfjs").CuoptimOptimizer;
console.log(JSON.stringify(out));
`;

test("import and require give one module instance (classes, tensors, errors, cuoptim/tfjs)", () => {
  assert.ok(existsSync(join(root, "dist", "index.cjs")), "dist/ is not built: run npm run build:ts");
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
  assert.equal(out, {
    sameClasses: true,
    result: { applied: true, gradNorm: null, updated: 1 },
    moved: true,
    errorAcross: true,
    message: out.message,
    nativeErrorAcross: true,
    sameTfjs: true,
  });
  assert.match(out.message, /lr/);
});

test("without a binary (an install with --ignore-scripts where no prebuild matches) the pure-JS parts still work; the first native call is ERR_BINDING_NOT_FOUND", () => {
  assert.ok(existsSync(join(root, "dist", "index.cjs")), "dist/ is not built: run npm run build:ts");
  // A package directory with dist/ and package.json but no prebuilds/ and no build/.
  const dir = mkdtempSync(join(tmpdir(), "cuoptim-nobinary-"));
  try {
    const pkg = join(dir, "node_modules", "cuoptim");
    mkdirSync(pkg, { recursive: true });
    cpSync(join(root, "dist"), join(pkg, "dist"), { recursive: true });
    cpSync(join(root, "package.json"), join(pkg, "package.json"));
    cpSync(join(root, "node_modules", "node-gyp-build"), join(dir, "node_modules", "node-gyp-build"), { recursive: true });
    const probe = `
      import { lr, CuoptimError, tensor } from "cuoptim";
      const optimizer = { defaults: { lr: 1 }, paramGroups: [{ lr: 1 }] };
      const schedule = lr.warmupCosine(optimizer, { warmupSteps: 2, totalSteps: 10 });
      schedule.step(); schedule.step();
      const out = { lr: optimizer.paramGroups[0].lr };
      try { tensor(new Float32Array(1), [1]); } catch (e) { out.code = e instanceof CuoptimError ? e.code : String(e); out.message = e.message; }
      console.log(JSON.stringify(out));
    `;
    const env = { ...process.env };
    delete env.CUOPTIM_BINARY;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", probe], { cwd: dir, encoding: "utf8", env });
    assert.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim());
    assert.is(out.lr, 1, "the schedule ran (step 2 of a 2-step warmup: the full lr)");
    assert.is(out.code, "ERR_BINDING_NOT_FOUND");
    assert.match(out.message, /linux-x64 \(glibc\) and linux-arm64/);
    assert.match(out.message, /build-native\.mjs/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
