// examples/train-mlp.mjs — a two-layer MLP learns a 3-class spiral with cuoptim's AdamW (decay on
// weights, none on biases), warmup + cosine decay to 10% of the peak lr, and the gradient norm
// clipped at 1.0 inside the step, on the default device.
//
// The forward and backward passes are plain JavaScript over Float32Arrays; the parameters, their
// gradients and the optimizer state live in cuoptim tensors. Run: npm run demo
import { AdamW, backends, lr, resolveDevice, tensor, zeros } from "cuoptim";

const device = resolveDevice(process.env.CUOPTIM_DEVICE ?? "auto");
const CLASSES = 3, PER_CLASS = 200, HIDDEN = 64, STEPS = 400;

// --- data: three interleaved spirals (Karpathy's cs231n toy problem), fixed seed ---------------
let seed = 42;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const randn = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const N = CLASSES * PER_CLASS;
const X = new Float32Array(N * 2), Y = new Int32Array(N);
for (let c = 0; c < CLASSES; c++) {
  for (let i = 0; i < PER_CLASS; i++) {
    const r = i / PER_CLASS, t = c * 4 + r * 4 + randn() * 0.2, k = c * PER_CLASS + i;
    X[2 * k] = r * Math.sin(t);
    X[2 * k + 1] = r * Math.cos(t);
    Y[k] = c;
  }
}

// --- parameters on the device ---------------------------------------------------------------------
const init = (n, scale) => Float32Array.from({ length: n }, () => randn() * scale);
const W1 = tensor(init(2 * HIDDEN, Math.sqrt(2 / 2)), [2, HIDDEN], { device });
const b1 = zeros([HIDDEN], { device });
const W2 = tensor(init(HIDDEN * CLASSES, Math.sqrt(2 / HIDDEN)), [HIDDEN, CLASSES], { device });
const b2 = zeros([CLASSES], { device });
const params = [W1, b1, W2, b2];
for (const p of params) p.grad = zeros(p.shape, { device });

const opt = new AdamW(
  [
    { params: [W1, W2], weightDecay: 1e-3 },
    { params: [b1, b2], weightDecay: 0 },
  ],
  { lr: 2e-2, betas: [0.9, 0.999] },
);
const schedule = lr.warmupCosine(opt, { warmupSteps: 30, totalSteps: STEPS, minRatio: 0.1 });

// --- forward + backward in JS: ReLU hidden layer, softmax cross-entropy -----------------------------
function lossAndGrads() {
  const [w1, c1, w2, c2] = params.map((p) => p.toArray());
  const g = params.map((p) => new Float32Array(p.numel));
  let loss = 0, correct = 0;
  const h = new Float32Array(HIDDEN), logits = new Float32Array(CLASSES), dh = new Float32Array(HIDDEN);
  for (let n = 0; n < N; n++) {
    const x0 = X[2 * n], x1 = X[2 * n + 1];
    for (let j = 0; j < HIDDEN; j++) h[j] = Math.max(0, x0 * w1[j] + x1 * w1[HIDDEN + j] + c1[j]);
    let max = -Infinity;
    for (let c = 0; c < CLASSES; c++) {
      let s = c2[c];
      for (let j = 0; j < HIDDEN; j++) s += h[j] * w2[j * CLASSES + c];
      logits[c] = s;
      max = Math.max(max, s);
    }
    let z = 0;
    for (let c = 0; c < CLASSES; c++) z += Math.exp(logits[c] - max);
    loss += Math.log(z) - (logits[Y[n]] - max);
    let best = 0;
    for (let c = 1; c < CLASSES; c++) if (logits[c] > logits[best]) best = c;
    if (best === Y[n]) correct++;
    dh.fill(0);
    for (let c = 0; c < CLASSES; c++) {
      const d = (Math.exp(logits[c] - max) / z - (c === Y[n] ? 1 : 0)) / N;
      g[3][c] += d;
      for (let j = 0; j < HIDDEN; j++) {
        g[2][j * CLASSES + c] += h[j] * d;
        dh[j] += w2[j * CLASSES + c] * d;
      }
    }
    for (let j = 0; j < HIDDEN; j++) {
      if (h[j] <= 0) continue;
      g[0][j] += x0 * dh[j];
      g[0][HIDDEN + j] += x1 * dh[j];
      g[1][j] += dh[j];
    }
  }
  params.forEach((p, i) => p.grad.set(g[i]));
  return { loss: loss / N, accuracy: correct / N };
}

console.log(`cuoptim demo: 2-layer MLP on a 3-class spiral, AdamW + warmup-cosine + clipping on ${device}`);
console.log(`backends: ${backends().map((b) => `${b.name}${b.available ? "" : " (unavailable)"}`).join(", ")}`);
const t0 = performance.now();
let first;
for (let step = 1; step <= STEPS; step++) {
  const { loss, accuracy } = lossAndGrads();
  first ??= loss;
  const lrNow = opt.paramGroups[0].lr;
  const { gradNorm } = opt.step({ maxGradNorm: 1.0 });
  schedule.step();
  if (step === 1 || step % 50 === 0) {
    console.log(
      `step ${String(step).padStart(4)}  loss ${loss.toFixed(4)}  accuracy ${(accuracy * 100).toFixed(1)}%  ` +
        `lr ${lrNow.toExponential(2)}  grad norm ${gradNorm.toFixed(3)}`,
    );
  }
}
const { loss, accuracy } = lossAndGrads();
console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s: loss ${first.toFixed(3)} -> ${loss.toFixed(3)}, accuracy ${(accuracy * 100).toFixed(1)}%`);
