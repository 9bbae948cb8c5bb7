// test/tfjs.test.ts — cuoptim/tfjs: the adapter inside TensorFlow.js's own training paths
// (model.compile + fit, optimizer.minimize, applyGradients), parity with tf.train.adam, state
// round trips through getWeights/setWeights and model.save({includeOptimizer}), bad configs.
import * as tf from "@tensorflow/tfjs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CuoptimError, memoryStats } from "../src-ts/index.js";
import { CuoptimOptimizer, type CuoptimTfjsConfig } from "../src-ts/tfjs/index.js";
import { assertBitwiseEqual } from "./helpers/compare.js";
import { testDevices } from "./helpers/devices.js";
import { initParam } from "./helpers/synth.js";

// IS_TEST: no "running TensorFlow.js in Node.js" banner in the middle of the test output.
tf.env().set("IS_TEST", true);
await tf.setBackend("cpu");
const devices = testDevices().filter((d) => d !== "cuda");

// A regression task: y = sin(x·w) summed, on fixed synthetic inputs.
const X = tf.tensor2d(initParam(77, 0, 64 * 8), [64, 8]);
const Y = tf.tidy(() => tf.sin(X.matMul(tf.tensor2d(initParam(77, 1, 8), [8, 1]))).mul(2));

function mlp(seed: number): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: 16, inputShape: [8], activation: "tanh", kernelInitializer: tf.initializers.glorotUniform({ seed }) }));
  m.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }));
  return m;
}
const loss = (m: tf.Sequential) => tf.tidy(() => tf.losses.meanSquaredError(Y, m.predict(X) as tf.Tensor).dataSync()[0]!);
const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => w.dataSync() as Float32Array);
function trainSteps(m: tf.Sequential, opt: tf.Optimizer, steps: number): number[] {
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const cost = opt.minimize(() => tf.losses.meanSquaredError(Y, m.predict(X) as tf.Tensor) as tf.Scalar, true, m.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val));
    losses.push(cost!.dataSync()[0]!);
    cost!.dispose();
  }
  return losses;
}

for (const device of devices) {
  // tfjs's Adam keeps its bias corrections as running float32 products and adds epsilon to
  // sqrt(v̂); torch (and cuoptim) use pow in double and sqrt(v)/sqrt(1 − β2^t) + ε. The same
  // algorithm, rounded differently: losses agree to 1e-4 relative over 40 steps.
  test(`${device}: Adam behind the adapter matches tf.train.adam's losses (rtol 1e-4)`, () => {
    const a = mlp(3);
    const b = mlp(3);
    const ours = trainSteps(a, new CuoptimOptimizer({ optimizer: "Adam", options: { lr: 1e-2, eps: 1e-7 }, device }), 40);
    const theirs = trainSteps(b, tf.train.adam(1e-2, 0.9, 0.999, 1e-7), 40);
    ours.forEach((l, i) => assert.ok(Math.abs(l - theirs[i]!) <= 1e-4 * Math.abs(theirs[i]!), `step ${i}: ${l} vs ${theirs[i]}`));
    assert.ok(ours[39]! < 0.5 * ours[0]!, "it trains");
  });

  test(`${device}: model.compile + fit with AdamW, warmup-cosine and clipping trains`, async () => {
    const m = mlp(5);
    const before = loss(m);
    const optimizer = new CuoptimOptimizer({
      optimizer: "AdamW",
      options: { lr: 2e-2, weightDecay: 0.01 },
      device,
      maxGradNorm: 1,
      schedule: { name: "warmupCosine", options: { warmupSteps: 5, totalSteps: 60, minRatio: 0.1 } },
      noDecay: "bias",
    });
    m.compile({ optimizer, loss: "meanSquaredError" });
    await m.fit(X, Y, { epochs: 60, batchSize: 64, verbose: 0, shuffle: false });
    const after = loss(m);
    assert.ok(after < 0.2 * before, `loss ${before} -> ${after}`);
    assert.is(optimizer.iterations, 60);
    // the schedule ran to its floor; the bias group has no weight decay
    assert.ok(Math.abs(optimizer.lr[0]! - 2e-3) < 1e-6, `lr ${optimizer.lr[0]}`);
    assert.equal(optimizer.optimizer!.paramGroups.map((g) => (g as unknown as { weightDecay: number }).weightDecay), [0.01, 0]);
  });

  test(`${device}: optimizer.minimize on bare variables, and applyGradients`, () => {
    const target = tf.tensor1d(initParam(9, 0, 10));
    const v = tf.variable(tf.zeros([10]));
    const opt = new CuoptimOptimizer({ optimizer: "SGD", options: { lr: 0.1, momentum: 0.9 }, device });
    for (let i = 0; i < 200; i++) opt.minimize(() => tf.sum(tf.square(tf.sub(v, target))) as tf.Scalar);
    assertClose(v.dataSync() as Float32Array, target.dataSync() as Float32Array, 1e-3);
    // applyGradients with a NamedTensor[]: one step of plain SGD moves by -lr·g
    const w = tf.variable(tf.tensor1d([1, 2, 3]));
    const sgd = new CuoptimOptimizer({ optimizer: "SGD", options: { lr: 0.5 }, device });
    sgd.applyGradients([{ name: w.name, tensor: tf.tensor1d([1, 1, 2]) }]);
    assert.equal([...(w.dataSync() as Float32Array)], [0.5, 1.5, 2]);
  });

  test(`${device}: a step skipped for a non-finite gradient is not an iteration: variables, lr and iterations stay`, () => {
    const w = tf.variable(tf.tensor1d([1, 2, 3]));
    const opt = new CuoptimOptimizer({ optimizer: "SGD", options: { lr: 0.5 }, device, maxGradNorm: 1, schedule: { name: "warmupLinear", options: { warmupSteps: 2, totalSteps: 20 } } });
    opt.applyGradients([{ name: w.name, tensor: tf.tensor1d([1, 1, 1]) }]);
    const before = { values: [...(w.dataSync() as Float32Array)], lr: opt.lr, iterations: opt.iterations };
    opt.applyGradients([{ name: w.name, tensor: tf.tensor1d([1, NaN, 1]) }]);
    assert.equal({ values: [...(w.dataSync() as Float32Array)], lr: opt.lr, iterations: opt.iterations }, before);
    opt.applyGradients([{ name: w.name, tensor: tf.tensor1d([1, 1, 1]) }]);
    assert.is(opt.iterations, before.iterations + 1);
  });

  test(`${device}: getWeights / setWeights carry the whole state (8-bit codes, schedule, EMA) to a twin`, async () => {
    const config: CuoptimTfjsConfig = { optimizer: "AdamW8bit", options: { lr: 1e-2, min8bitSize: 16, blockSize: 64 }, device, schedule: { name: "warmupLinear", options: { warmupSteps: 2, totalSteps: 20 } }, ema: { decay: 0.9 } };
    const a = mlp(7);
    const optA = new CuoptimOptimizer(config);
    trainSteps(a, optA, 3);
    const b = mlp(11);
    b.setWeights(a.getWeights());
    const optB = new CuoptimOptimizer(config);
    await optB.setWeights(await optA.getWeights());
    assert.is(optB.iterations, 3);
    trainSteps(a, optA, 3);
    trainSteps(b, optB, 3);
    weightsOf(b).forEach((w, i) => assertBitwiseEqual(w, weightsOf(a)[i]!, `weight ${i}`));
    assert.equal(optB.lr, optA.lr);
    const avgA = optA.withAverages(() => weightsOf(a));
    const avgB = optB.withAverages(() => weightsOf(b));
    avgB.forEach((w, i) => assertBitwiseEqual(w, avgA[i]!, `average ${i}`));
    weightsOf(b).forEach((w, i) => assertBitwiseEqual(w, weightsOf(a)[i]!, `weights restored after withAverages ${i}`));
  });

  test(`${device}: model.save({includeOptimizer}) and tf.loadLayersModel round-trip the optimizer`, async () => {
    const a = mlp(13);
    a.compile({ optimizer: new CuoptimOptimizer({ optimizer: "NAdam", options: { lr: 1e-2 }, device }), loss: "meanSquaredError" });
    await a.fit(X, Y, { epochs: 3, batchSize: 64, verbose: 0, shuffle: false });
    let saved: tf.io.ModelArtifacts | null = null;
    await a.save(tf.io.withSaveHandler(async (artifacts) => ((saved = artifacts), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } })), { includeOptimizer: true });
    const b = (await tf.loadLayersModel(tf.io.fromMemory(saved!))) as tf.Sequential;
    assert.instance(b.optimizer, CuoptimOptimizer);
    assert.equal((b.optimizer as CuoptimOptimizer).config, (a.optimizer as CuoptimOptimizer).config);
    await a.fit(X, Y, { epochs: 2, batchSize: 64, verbose: 0, shuffle: false });
    await b.fit(X, Y, { epochs: 2, batchSize: 64, verbose: 0, shuffle: false });
    weightsOf(b).forEach((w, i) => assertBitwiseEqual(w, weightsOf(a)[i]!, `weight ${i}`));
  });
}

test("bad configs are refused at construction with CuoptimErrors naming the field", () => {
  const cases: [object, string, string][] = [
    [{ optimizer: "Adamm" }, "ERR_INVALID_ARGUMENT", "config.optimizer"],
    [{ optimizer: "AdamW", options: { lr: -1 } }, "ERR_RANGE", "lr"],
    [{ optimizer: "AdamW", options: { learningRate: 1 } }, "ERR_INVALID_ARGUMENT", "learningRate"],
    [{ optimizer: "AdamW", maxGradNorm: 0 }, "ERR_RANGE", "config.maxGradNorm"],
    [{ optimizer: "AdamW", schedule: { name: "cosine", options: {} } }, "ERR_INVALID_ARGUMENT", "config.schedule.name"],
    [{ optimizer: "AdamW", schedule: { name: "warmupCosine", options: { warmupSteps: -1, totalSteps: 10 } } }, "ERR_RANGE", "warmupSteps"],
    [{ optimizer: "AdamW", noDecay: "(" }, "ERR_INVALID_ARGUMENT", "config.noDecay"],
    [{ optimizer: "AdamW", lookahead: { k: 0 } }, "ERR_RANGE", "k"],
    [{ optimizer: "AdamW", device: "tpu" }, "ERR_DEVICE", "config.device"],
    [{ optimizer: "AdamW", extra: 1 }, "ERR_INVALID_ARGUMENT", "config.extra"],
  ];
  for (const [config, code, mentions] of cases) {
    try {
      new CuoptimOptimizer(config as never);
      assert.unreachable(`${JSON.stringify(config)} accepted`);
    } catch (e) {
      assert.instance(e, CuoptimError, JSON.stringify(config));
      assert.is((e as CuoptimError).code, code, (e as Error).message);
      assert.ok((e as Error).message.includes(mentions), `"${(e as Error).message}" should mention ${mentions}`);
    }
  }
});

function assertClose(a: Float32Array, b: Float32Array, tol: number): void {
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) <= tol, `element ${i}: ${x} vs ${b[i]}`));
}

// bfloat16 copies with float32 masters: 2 B per param for the copies and the grads, 4 for the
// masters, 8 for AdamW's moments; the variables get the rounded params, and training tracks the
// float32 adapter's.
test("paramDtype bfloat16: the optimizer's copies take 2 B/param beside float32 masters, and it trains like float32", () => {
  const before = memoryStats("cpu").current;
  const half = mlp(11);
  const full = mlp(11);
  const opt = new CuoptimOptimizer({ optimizer: "AdamW", options: { lr: 1e-2 }, device: "cpu", paramDtype: "bfloat16" });
  const lossesHalf = trainSteps(half, opt, 30);
  const now = memoryStats("cpu").current;
  const n = half.countParams();
  assert.is((now.params - before.params) / n, 2, "params: 2 B each");
  assert.is((now.grads - before.grads) / n, 2, "grads: 2 B each");
  assert.is((now.state - before.state) / n, 12, "state: float32 master + two moments");
  const lossesFull = trainSteps(full, new CuoptimOptimizer({ optimizer: "AdamW", options: { lr: 1e-2 }, device: "cpu" }), 30);
  assert.ok(Math.abs(lossesHalf[29]! - lossesFull[29]!) < 0.05 * lossesFull[29]! + 1e-3, `bf16 ${lossesHalf[29]} vs f32 ${lossesFull[29]}`);
  // The variables hold bf16 values: their low 16 bits are zero.
  for (const w of weightsOf(half)) assert.ok(new Uint32Array(w.buffer, w.byteOffset, w.length).every((b) => (b & 0xffff) === 0));
  opt.dispose();
  try {
    new CuoptimOptimizer({ optimizer: "AdamW", paramDtype: "int8" as never });
    assert.unreachable("a bad paramDtype is accepted");
  } catch (e) {
    assert.match((e as Error).message, /config\.paramDtype: expected "float32", "bfloat16" or "float16", got "int8"/);
  }
});

test.run();
