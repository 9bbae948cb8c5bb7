// test/first_bug.test.ts — the mistakes a first training loop makes get a plain answer: a step
// reports how many params it updated, a step with no grad at all warns once per optimizer
// ("set .grad before step()"), tfjs null gradients are a CuoptimError, and a nested config error
// names its full path.
import * as tf from "@tensorflow/tfjs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AdamW, CuoptimError, SGD, tensor, type Tensor } from "../src-ts/index.js";
import { CuoptimOptimizer, type CuoptimTfjsConfig } from "../src-ts/tfjs/index.js";
import { captureWarnings } from "./helpers/warnings.js";

// IS_TEST: no "running TensorFlow.js in Node.js" banner in the middle of the test output.
tf.env().set("IS_TEST", true);
await tf.setBackend("cpu");

function params(n: number): Tensor[] {
  return Array.from({ length: n }, (_, i) => tensor(new Float32Array([i + 1, i + 2]), [2], { device: "cpu" }));
}

/** The CUOPTIM_NO_GRAD warnings' messages emitted while fn runs. */
async function noGradWarnings(fn: () => void): Promise<string[]> {
  return (await captureWarnings(fn)).filter((w) => w.code === "CUOPTIM_NO_GRAD").map((w) => w.message);
}

test("StepResult.updated counts the params that had a grad; a skipped step updated none", () => {
  const ps = params(3);
  ps[0]!.grad = tensor(new Float32Array([1, 1]), [2], { device: "cpu" });
  ps[2]!.grad = tensor(new Float32Array([1, 1]), [2], { device: "cpu" });
  const opt = new AdamW([{ params: [ps[0]!] }, { params: [ps[1]!, ps[2]!] }], { lr: 0.1 });
  assert.equal(opt.step(), { applied: true, gradNorm: null, updated: 2 });
  ps[2]!.grad = tensor(new Float32Array([NaN, 1]), [2], { device: "cpu" });
  const skipped = opt.step({ skipNonFinite: true });
  assert.is(skipped.applied, false);
  assert.is(skipped.updated, 0);
});

test("a step with no grad at all updates nothing and warns once per optimizer, naming the fix", async () => {
  const ps = params(2);
  const before = ps.map((p) => [...p.toArray()]);
  const opt = new SGD(ps, { lr: 0.1 });
  let results: unknown[] = [];
  const first = await noGradWarnings(() => (results = [opt.step(), opt.step()]));
  assert.equal(results, [{ applied: true, gradNorm: null, updated: 0 }, { applied: true, gradNorm: null, updated: 0 }]);
  assert.equal(ps.map((p) => [...p.toArray()]), before);
  assert.is(first.length, 1);
  assert.match(first[0]!, /SGD\.step\(\): no param had a grad.*set \.grad before step\(\)/);
  // Another optimizer warns on its own; a step that updates something does not warn.
  assert.is((await noGradWarnings(() => new SGD(params(1)).step())).length, 1);
  const q = params(1);
  q[0]!.grad = tensor(new Float32Array([1, 1]), [2], { device: "cpu" });
  assert.is((await noGradWarnings(() => new SGD(q).step())).length, 0);
});

test("tfjs: gradients that are all null or undefined are a CuoptimError naming the cause, not a TypeError", () => {
  const v = tf.variable(tf.tensor1d([1, 2]), true, "firstBugV");
  const opt = new CuoptimOptimizer({ optimizer: "SGD", options: { lr: 0.5 }, device: "cpu" });
  for (const grads of [{ firstBugV: null }, { firstBugV: undefined }, [{ name: "firstBugV", tensor: null }], [null]]) {
    try {
      opt.applyGradients(grads as never);
      assert.unreachable("applied");
    } catch (e) {
      assert.instance(e, CuoptimError);
      assert.match((e as Error).message, /applyGradients: /);
    }
  }
  assert.equal([...(v.dataSync() as Float32Array)], [1, 2]);
  assert.is(opt.iterations, 0);
  v.dispose();
});

test("tfjs: a nested config error names its full path", () => {
  const cases: [CuoptimTfjsConfig, RegExp][] = [
    [{ optimizer: "AdamW", options: { lr: -1 } }, /^config\.options\.lr: /],
    [{ optimizer: "AdamW", schedule: { name: "warmupCosine", options: { warmupSteps: 1, totalSteps: -2 } } }, /^config\.schedule\.options\.totalSteps: /],
    [{ optimizer: "AdamW", schedule: { name: "warmupLinear", options: undefined as never } }, /^config\.schedule\.options: /],
    [{ optimizer: "AdamW", ema: { decay: 2 } }, /^config\.ema\.decay: /],
    [{ optimizer: "AdamW", lookahead: { k: 0 } }, /^config\.lookahead\.k: /],
  ];
  for (const [config, path] of cases) {
    try {
      new CuoptimOptimizer({ ...config, device: "cpu" });
      assert.unreachable(JSON.stringify(config));
    } catch (e) {
      assert.instance(e, CuoptimError);
      assert.match((e as Error).message, path);
    }
  }
});

test.run();
