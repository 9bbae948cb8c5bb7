// test/tfjs.semantics.test.ts — cuoptim/tfjs's train.* drop-ins against TensorFlow.js's own
// tf.train.* optimizers (tfjs-core 4.22, cpu backend), bit for bit: tfjs's cpu backend rounds every
// op to float32 once, and so do the tfjs kernels (kernels/math/tfjs.cuh) on every cuoptim backend.
// Three kinds of run, each compared after every step:
//   * tfjs-core's own optimizer test cases (tfjs-core/src/optimizers/*_optimizer_test.ts): their
//     optimizers, hyper-parameters, variables and loss (sum of x²), through optimizer.minimize();
//   * every factory with its defaults and with other options, on three variables of different
//     shapes with synthetic gradients (test/helpers/synth.ts) over 25 steps, via applyGradients;
//   * a getWeights/setWeights round trip at mid-run into a new optimizer (matched against the
//     uninterrupted tfjs run).
import * as tf from "@tensorflow/tfjs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CuoptimError } from "../src-ts/index.js";
import { CuoptimOptimizer, train } from "../src-ts/tfjs/index.js";
import { testDevices } from "./helpers/devices.js";
import { gradAt, initParam } from "./helpers/synth.js";

// IS_TEST: no "running TensorFlow.js in Node.js" banner in the middle of the test output.
tf.env().set("IS_TEST", true);
await tf.setBackend("cpu");

type Factory = keyof typeof train;
type Args = (number | boolean | null | undefined)[];

const tfjsOptimizer = (name: Factory, args: Args) => (tf.train[name] as (...a: Args) => tf.Optimizer)(...args);

// Our optimizer on a given device: the factory's config, with the device set.
function ours(name: Factory, args: Args, device: string): tf.Optimizer {
  const config = (train[name] as (...a: Args) => CuoptimOptimizer)(...args).config;
  return new CuoptimOptimizer({ ...config, device: device as never });
}

const bits = (t: tf.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));

function sameBits(a: tf.Tensor, b: tf.Tensor, what: string): void {
  const x = bits(a), y = bits(b);
  const at = x.findIndex((v, i) => v !== y[i]);
  assert.ok(at < 0, `${what}: element ${at}: ${a.dataSync()[at]} vs tfjs ${b.dataSync()[at]}`);
}

// tfjs-core's test cases: [factory, arguments, initial x, steps].
const TFJS_CORE_CASES: [Factory, Args, number[], number][] = [
  ["sgd", [0.1], [1, -3], 2],
  ["momentum", [0.1, 0.5], [1, 2], 2],
  ["momentum", [0.1, 0.5, true], [1, 2], 2],
  ["rmsprop", [0.1, 0.95, 0.1], [1, 2], 2],
  ["rmsprop", [0.1, 0.95, 0.1, 1e-8, true], [1, 2], 2],
  ["rmsprop", [0.1, 0.95, 0.1, undefined, true], [1, 2], 3],
  ["adagrad", [0.1, 0.1], [1, 2], 2],
  ["adagrad", [0.1, 0.1], [2, 4], 2],
  ["adadelta", [0.1, 0.95], [1, 2], 2],
  ["adam", [0.1, 0.8, 0.9], [2, 4], 2],
  ["adamax", [0.1, 0.8, 0.9, undefined, 0.1], [2, 4], 2],
];

// Each factory with its defaults, and with the options changed.
const OPTION_CASES: [Factory, Args][] = [
  ["sgd", [0.05]],
  ["momentum", [0.05, 0.9]],
  ["momentum", [0.05, 0.8, true]],
  ["rmsprop", [0.01]],
  ["rmsprop", [0.01, 0.8, 0.5, 1e-6, true]],
  ["adagrad", [0.1]],
  ["adagrad", [0.2, 0.5]],
  ["adadelta", []],
  ["adadelta", [1, 0.9, 1e-6]],
  ["adam", []],
  ["adam", [0.01, 0.85, 0.99, 1e-6]],
  ["adamax", []],
  ["adamax", [0.01, 0.85, 0.95, 1e-6, 0.05]],
];

const SHAPES = [[3, 4], [5], [70, 33]]; // the last long enough for the vector loops and their tails
const STEPS = 25;

function variables(tag: string): tf.Variable[] {
  return SHAPES.map((shape, k) => tf.variable(tf.tensor(initParam(11, k, shape.reduce((a, b) => a * b, 1)), shape), true, `${tag}/w${k}`));
}
function gradients(vars: tf.Variable[], step: number): { name: string; tensor: tf.Tensor }[] {
  return vars.map((v, k) => ({ name: v.name, tensor: tf.tensor(gradAt(11, k, step, v.size, 1), v.shape) }));
}

let run = 0;
for (const device of testDevices().filter((d) => d !== "cuda")) {
  for (const [name, args, init, steps] of TFJS_CORE_CASES) {
    test(`${device}: train.${name}(${args.map(String).join(", ")}) — tfjs-core's test case, minimize(sum x²), bit for bit`, () => {
      const xs = [tf.variable(tf.tensor1d(init)), tf.variable(tf.tensor1d(init))];
      const opts = [ours(name, args, device), tfjsOptimizer(name, args)];
      for (let k = 1; k <= steps; k++) {
        xs.forEach((x, i) => tf.dispose(opts[i]!.minimize(() => x.square().sum() as tf.Scalar, true) ?? []));
        sameBits(xs[0]!, xs[1]!, `step ${k}`);
      }
      assert.is(opts[0]!.iterations, steps);
      opts.forEach((o) => o.dispose());
      xs.forEach((x) => x.dispose());
    });
  }

  for (const [name, args] of OPTION_CASES) {
    test(`${device}: train.${name}(${args.map(String).join(", ")}) — three variables, ${STEPS} steps of synthetic gradients, bit for bit`, () => {
      const tag = `sem${run++}`;
      const mine = variables(`${tag}a`);
      const theirs = variables(`${tag}b`);
      const opt = ours(name, args, device);
      const ref = tfjsOptimizer(name, args);
      for (let k = 1; k <= STEPS; k++) {
        const g = gradients(mine, k);
        opt.applyGradients(g);
        ref.applyGradients(g.map((x, i) => ({ name: theirs[i]!.name, tensor: x.tensor })));
        tf.dispose(g.map((x) => x.tensor));
        mine.forEach((v, i) => sameBits(v, theirs[i]!, `step ${k}, variable ${i}`));
      }
      [opt, ref].forEach((o) => o.dispose());
      [...mine, ...theirs].forEach((v) => v.dispose());
    });
  }

  test(`${device}: getWeights/setWeights at mid-run continue every factory as the uninterrupted tfjs run`, async () => {
    const nonFinite: string[] = [];
    for (const [name, args] of OPTION_CASES) {
      const tag = `rt${run++}`;
      const mine = variables(`${tag}a`);
      const theirs = variables(`${tag}b`);
      let opt = ours(name, args, device);
      const ref = tfjsOptimizer(name, args);
      for (let k = 1; k <= STEPS; k++) {
        const g = gradients(mine, k);
        if (k === 13) {
          const next = ours(name, args, device);
          await next.setWeights(await opt.getWeights());
          opt.dispose();
          opt = next;
          // tfjs's centered RMSprop takes sqrt(ms − (mg² + eps)): NaN where an element's gradient
          // variance is below eps, in tfjs as here. cuoptim refuses to restore non-finite state.
          if (mine.some((v) => v.dataSync().some((x) => !Number.isFinite(x)))) {
            assert.throws(() => opt.applyGradients(g), (e: unknown) => e instanceof CuoptimError && /expected a finite value/.test((e as Error).message));
            nonFinite.push(`train.${name}(${args.join(", ")})`);
            tf.dispose(g.map((x) => x.tensor));
            break;
          }
        }
        opt.applyGradients(g);
        ref.applyGradients(g.map((x, i) => ({ name: theirs[i]!.name, tensor: x.tensor })));
        tf.dispose(g.map((x) => x.tensor));
        mine.forEach((v, i) => sameBits(v, theirs[i]!, `train.${name}(${args.join(", ")}), step ${k}, variable ${i}`));
      }
      [opt, ref].forEach((o) => o.dispose());
      [...mine, ...theirs].forEach((v) => v.dispose());
    }
    assert.equal(nonFinite, ["train.rmsprop(0.01, 0.8, 0.5, 0.000001, true)"], "only centered RMSprop makes NaN state (as tfjs does)");
  });
}

test("the factories keep tfjs's signatures and defaults, and refuse what tfjs's optimizers could not run", () => {
  assert.equal(train.adam().config, { optimizer: "tfjs.adam", options: { lr: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } });
  assert.equal(train.adamax().config.options, { lr: 0.002, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0 });
  assert.equal(train.adadelta().config.options, { lr: 0.001, rho: 0.95, epsilon: 1e-7 });
  assert.equal(train.rmsprop(0.1).config.options, { lr: 0.1, decay: 0.9, momentum: 0, epsilon: 1e-7, centered: false });
  assert.equal(train.adagrad(0.1).config.options, { lr: 0.1, initialAccumulatorValue: 0.1 });
  assert.equal(train.momentum(0.1, 0.9).config.options, { lr: 0.1, momentum: 0.9, useNesterov: false });
  for (const bad of [() => train.rmsprop(undefined as never), () => train.sgd(-1), () => train.adam(0.1, 1), () => train.momentum(0.1, NaN)]) {
    assert.throws(bad, (e: unknown) => e instanceof CuoptimError);
  }
});

test.run();
