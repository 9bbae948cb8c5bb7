// examples/data-parallel.mjs — the demo's character-level model (examples/char-lm.mjs) trained
// data-parallel: every rank draws its own batches, TensorFlow.js computes its gradients, and
// cuoptim's ZeroRedundancyOptimizer shards AdamW's state over the ranks. Stage 2 (the default)
// averages each gradient onto the rank that owns its param inside step(); with STAGE=1 the ranks
// average every gradient themselves first (allReduce "avg"), as plain data-parallel training does.
// Each rank prints the optimizer state it holds; rank 0 prints the loss averaged over the ranks.
//
//   mpirun -np 2 node examples/data-parallel.mjs        (as root: mpirun --allow-run-as-root ...)
//   node examples/data-parallel.mjs                     (no launcher: a world of one, for comparison)
import * as tf from "@tensorflow/tfjs";
import { AdamW, memoryStats, tensor } from "cuoptim";
import { allReduce, init, ZeroRedundancyOptimizer } from "cuoptim/distributed";
import { batches, charModel, loadText } from "./lib/char-model.mjs";

const CONTEXT = 16, EMBED = 16, HIDDEN = 192, BATCH = 64;
const STEPS = Number(process.env.DEMO_STEPS ?? 600);
const STAGE = Number(process.env.STAGE ?? 2);
await tf.setBackend("cpu");

const { rank, worldSize, transport } = init();
const data = loadText();
const nextBatch = batches(data, { context: CONTEXT, batch: BATCH, seed: 1234 + rank });
const model = charModel({ vocab: data.chars.length, context: CONTEXT, embed: EMBED, hidden: HIDDEN });

// The model's weights as cuoptim params (every rank starts from the same seeded initialisation),
// each with a gradient tensor the backward pass fills.
const variables = model.trainableWeights.map((w) => w.read());
const params = variables.map((v) => tensor(v.dataSync(), v.shape));
for (const p of params) p.grad = tensor(new Float32Array(p.numel), p.shape);
const decay = params.filter((p) => p.shape.length > 1 && !variables[params.indexOf(p)].name.includes("embed"));
const optimizer = new ZeroRedundancyOptimizer(
  [{ params: decay }, { params: params.filter((p) => !decay.includes(p)), weightDecay: 0 }],
  AdamW,
  { lr: 3e-3, betas: [0.9, 0.95], weightDecay: 0.1, stage: STAGE },
);
const mine = params.filter((p) => optimizer.ownerOf(p) === rank);
const lossTensor = tensor(new Float32Array(1), [1]);

const started = performance.now();
let smooth = null, first = null;
for (let step = 1; step <= STEPS; step++) {
  const { x, y } = nextBatch();
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x)));
  variables.forEach((v, i) => params[i].grad.set(grads[v.name].dataSync()));
  lossTensor.set(new Float32Array([value.dataSync()[0]]));
  tf.dispose([x, y, value, ...Object.values(grads)]);
  allReduce(lossTensor, { op: "avg" });
  if (STAGE === 1) for (const p of params) allReduce(p.grad, { op: "avg" });
  optimizer.step({ maxGradNorm: 1 });
  variables.forEach((v, i) => v.assign(tf.tensor(params[i].toArray(), v.shape)));
  const loss = lossTensor.toArray()[0];
  smooth = smooth === null ? loss : 0.98 * smooth + 0.02 * loss;
  first ??= loss;
  if (rank === 0 && (step % 100 === 0 || step === STEPS)) {
    console.log(`step ${step}/${STEPS} | loss ${smooth.toFixed(3)} (mean over ${worldSize} rank${worldSize > 1 ? "s" : ""}) | ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
}
const state = memoryStats("cpu").current.state;
const total = params.reduce((n, p) => n + p.numel, 0);
console.log(
  `rank ${rank} of ${worldSize} (${transport}, ZeRO stage ${STAGE}): owns ${mine.length} of ${params.length} tensors, ` +
    `${mine.reduce((n, p) => n + p.numel, 0).toLocaleString("en-US")} of ${total.toLocaleString("en-US")} params; ` +
    `optimizer state ${(state / 2 ** 10).toFixed(0)} KiB (${(state / total).toFixed(2)} bytes per model param; unsharded AdamW: 8)`,
);
if (rank === 0) console.log(`loss ${first.toFixed(3)} (step 1) -> ${smooth.toFixed(3)} (smoothed) after ${STEPS} steps of ${worldSize} x ${BATCH} sequences`);
