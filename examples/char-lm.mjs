// examples/char-lm.mjs — a character-level language model of the Book of Genesis (KJV, public
// domain: examples/data/) trained with TensorFlow.js for the model and gradients and cuoptim for
// the optimizer: AdamW with no decay on biases and the embedding, linear warmup + cosine decay to
// 10% of the peak lr, and the gradients' global norm clipped at 1 inside the fused step, on the
// default device (cuda when available, else cpu). It prints loss, lr and characters/s as it goes
// and samples a line at the end. About two minutes on two cores. Run: npm run demo
import * as tf from "@tensorflow/tfjs";
import cliProgress from "cli-progress";
import { backends, memoryStats, resolveDevice } from "cuoptim";
import { CuoptimOptimizer } from "cuoptim/tfjs";
import { batches, charModel, loadText, oneHot, random, softmaxLoss } from "./lib/char-model.mjs";

const CONTEXT = 16, EMBED = 16, HIDDEN = 192, BATCH = 64;
const STEPS = Number(process.env.DEMO_STEPS ?? 2500);
const device = resolveDevice(process.env.CUOPTIM_DEVICE ?? "auto");
await tf.setBackend("cpu");

const data = loadText();
const { chars, index } = data;
const nextBatch = batches(data, { context: CONTEXT, batch: BATCH, seed: 1234 });
const model = charModel({ vocab: chars.length, context: CONTEXT, embed: EMBED, hidden: HIDDEN });
const optimizer = new CuoptimOptimizer({
  optimizer: "AdamW",
  options: { lr: 3e-3, betas: [0.9, 0.95], weightDecay: 0.1 },
  device,
  maxGradNorm: 1,
  schedule: { name: "warmupCosine", options: { warmupSteps: Math.round(STEPS / 20), totalSteps: STEPS, minRatio: 0.1 } },
  noDecay: "bias|embed",
});
model.compile({ optimizer, loss: softmaxLoss });
const available = backends().filter((b) => b.available).map((b) => b.name);
console.log(`cuoptim on ${device} (available: ${available.join(", ")}); ${model.countParams().toLocaleString("en-US")} params; ${chars.length} distinct characters in ${(data.text.length / 1000).toFixed(0)}K of text`);

// --- training ------------------------------------------------------------------------------------------
const bar = new cliProgress.SingleBar(
  { format: "train [{bar}] {value}/{total} | loss {loss} | lr {lr} | {speed} chars/s", hideCursor: true },
  cliProgress.Presets.shades_classic,
);
// Not a terminal (a log, CI): one plain line every 10 s instead of the bar. The loop never yields
// to the timers cli-progress would redraw from, so these lines are written from the loop itself.
const tty = Boolean(process.stdout.isTTY);
if (tty) bar.start(STEPS, 0, { loss: "-", lr: "-", speed: "-" });
let lastLine = performance.now();
const started = performance.now();
let smooth = null;
const first = [];
for (let step = 1; step <= STEPS; step++) {
  const { x, y } = nextBatch();
  const loss = await model.trainOnBatch(x, y);
  tf.dispose([x, y]);
  smooth = smooth === null ? loss : 0.98 * smooth + 0.02 * loss;
  if (step <= 20) first.push(loss);
  const secs = (performance.now() - started) / 1000;
  const fields = { loss: smooth.toFixed(3), lr: optimizer.lr[0].toExponential(2), speed: Math.round((step * BATCH) / secs).toLocaleString("en-US") };
  if (tty) bar.update(step, fields);
  else if (performance.now() - lastLine >= 10_000 || step === STEPS) {
    lastLine = performance.now();
    console.log(`train ${step}/${STEPS} | loss ${fields.loss} | lr ${fields.lr} | ${fields.speed} chars/s | ${secs.toFixed(0)} s`);
  }
}
if (tty) bar.stop();
const secs = (performance.now() - started) / 1000;
const startLoss = first.reduce((a, b) => a + b, 0) / first.length;
console.log(`loss ${startLoss.toFixed(3)} (first 20 steps) -> ${smooth.toFixed(3)} (smoothed) in ${secs.toFixed(0)} s; chance is ln(${chars.length}) = ${Math.log(chars.length).toFixed(3)}`);
const mem = memoryStats(device).current;
console.log(`cuoptim memory on ${device}: params ${(mem.params / 2 ** 20).toFixed(2)} MiB, grads ${(mem.grads / 2 ** 20).toFixed(2)} MiB, optimizer state ${(mem.state / 2 ** 20).toFixed(2)} MiB`);

// --- sampling ------------------------------------------------------------------------------------------
const rand = random(7);
const prompt = "And God said, ";
let context = Array.from(prompt.padStart(CONTEXT).slice(-CONTEXT), (c) => index.get(c) ?? index.get(" "));
let out = prompt;
for (let i = 0; i < 120; i++) {
  const probs = tf.tidy(() => tf.softmax(tf.div(model.predict(oneHot(context, [1, CONTEXT], chars.length)), 0.7)).dataSync());
  let r = rand(), next = 0;
  for (; next < probs.length - 1 && (r -= probs[next]) > 0; next++);
  if (chars[next] === "\n") break;
  out += chars[next];
  context = [...context.slice(1), next];
}
console.log(`sample: ${out}`);
optimizer.dispose();
