// bench/sections/throughput.ts — optimizer steps per second on one parameter set (4 square
// matrices), cuoptim's optimizers beside PyTorch 1.13 (live, through Debian's python3, same
// thread count), TensorFlow.js's AdamOptimizer (pure-JS cpu backend) and a plain TypeScript loop.
// Each figure is the median of 10 steps after 2 warm-up steps. "Useful traffic" counts the bytes
// an optimizer must move per param per step (e.g. AdamW: read p, g, m, v and write p, m, v = 28).
import { ASGD, Adadelta, Adafactor, AdamW, AdEMAMix, AdEMAMix8bit, AdamWScheduleFree, LAMB, LARS, LBFGS, Lion8bit, Muon, SGDScheduleFree, AdamW8bit, CAME, Lion, quant, RMSprop, Rprop, SGD, Shampoo, Sophia, synchronize, tensor, type Device, type Optimizer, type Tensor } from "../../src-ts/index.js";
import { TfjsAdam } from "../../src-ts/tfjs/semantics.js";
import { PlainAdamW } from "../baselines/plain_adamw.js";
import { tfjsAdam } from "../baselines/tfjs_adam.js";
import { torchStepTimes } from "../lib/machine.js";
import { median, timeSteps } from "../lib/measure.js";
import type { Progress } from "../lib/progress.js";

export interface ThroughputRow {
  implementation: string;
  optimizer: string;
  device: string;
  params: number;
  ms: number;
  mparamPerS: number;
  bytesPerParam: number;
  gbs: number;
  /** % of the measured roofline bandwidth (cuda rows: of the GPU's measured copy bandwidth) */
  pctRoofline: number;
}

/** Bytes each optimizer must move per param per step (f32 params and grads). */
export const USEFUL_BYTES: Record<string, number> = {
  AdamW: 28, // p r/w, g r, m r/w, v r/w
  "SGD+momentum": 20, // p r/w, g r, buf r/w
  RMSprop: 20, // p r/w, g r, v r/w
  Lion: 20, // p r/w, g r, m r/w
  AdamW8bit: 16, // p r/w, g r, two 8-bit codes r/w (+ one absmax per 256)
  Lion8bit: 14, // p r/w, g r, one 8-bit code r/w (+ one absmax per 256)
  quantizeBlockwise: 5, // x r, code w (+ one absmax per 4096; the finite check's read of x not counted)
  dequantizeBlockwise: 5, // code r, x w
  Adafactor: 12, // p r/w, g r (the row/column statistics are O(rows + cols))
  Sophia: 24, // p r/w, g r, m r/w, h r
  CAME: 20, // p r/w, g r, m r/w (the statistics are O(rows + cols))
  Shampoo: 28, // as AdamW, plus the preconditioner products (compute-bound)
  Adadelta: 28, // p r/w, g r, square_avg r/w, acc_delta r/w
  Rprop: 28, // p r/w, g r, prev r/w, step_size r/w
  ASGD: 20, // p r/w, g r, ax r/w
  LARS: 28, // p r/w, g r, buf r/w, plus the two norm passes (p r, g r)
  LAMB: 28, // as AdamW; stage 1 also writes u and reads p, the norms read p and u, stage 2 reads u and p r/w
  AdEMAMix: 36, // p r/w, g r, m1 r/w, m2 r/w, nu r/w
  AdEMAMix8bit: 18, // p r/w, g r, three 8-bit codes r/w (+ one absmax each per 256)
  SGDScheduleFree: 20, // p (y) r/w, g r, z r/w
  AdamWScheduleFree: 28, // p (y) r/w, g r, z r/w, v r/w
  Muon: 20, // p r/w, g r, buf r/w, plus the Newton–Schulz products (compute-bound)
  // one iteration, no line search: the grads copied (8), y = g − g_prev (12), s = t·d (8), the
  // dots y·s and y·y (16), q = −g and d = H₀q (16), the new g_prev (8), θ += t·d (12)
  "LBFGS (maxIter 1)": 80,
  "tfjs adam": 28, // as AdamW (cuoptim/tfjs train.adam's kernel)
  "AdamW bf16": 22, // bf16 p r/w, bf16 g r, f32 m r/w, f32 v r/w
  "AdamW bf16 + SR": 22, // as AdamW bf16, plus a hash per element
  "AdamW bf16 + master": 28, // f32 master r/w, bf16 p w, bf16 g r, m r/w, v r/w
};

// bfloat16 params and grads, beside the float32 rows of the same run.
const CUOPTIM_BF16: [string, (p: Tensor[]) => Optimizer<object>][] = [
  ["AdamW bf16", (p) => new AdamW(p)],
  ["AdamW bf16 + SR", (p) => new AdamW(p, { stochasticRounding: true })],
  ["AdamW bf16 + master", (p) => new AdamW(p, { masterWeights: true })],
];

// [name, make, timed steps]: Shampoo's steps are matrix products (O(block dim) flops per
// element), so it is timed over 3 steps after 1 warm-up instead of 10 after 2; Muon's are
// 3·nsSteps products of each whole matrix (O(side) flops per element), timed over 1.
const CUOPTIM: [string, (p: Tensor[]) => Optimizer<object>, number?][] = [
  ["AdamW", (p) => new AdamW(p)],
  ["SGD+momentum", (p) => new SGD(p, { lr: 0.01, momentum: 0.9 })],
  ["RMSprop", (p) => new RMSprop(p)],
  ["Lion", (p) => new Lion(p)],
  ["AdamW8bit", (p) => new AdamW8bit(p)],
  ["Lion8bit", (p) => new Lion8bit(p)],
  ["Adafactor", (p) => new Adafactor(p)],
  ["Sophia", (p) => new Sophia(p)],
  ["CAME", (p) => new CAME(p)],
  // Preconditioned from step 2 so the timed steps include the preconditioner products; a root
  // recomputation (every preconditionFrequency steps) is timed in the report's notes.
  ["Shampoo", (p) => new Shampoo(p, { startPreconditioningStep: 2, preconditionFrequency: 1000 }), 3],
  ["Adadelta", (p) => new Adadelta(p)],
  ["Rprop", (p) => new Rprop(p)],
  ["ASGD", (p) => new ASGD(p, { t0: 1 })],
  ["LARS", (p) => new LARS(p, { lr: 1 })],
  ["LAMB", (p) => new LAMB(p)],
  ["AdEMAMix", (p) => new AdEMAMix(p)],
  ["AdEMAMix8bit", (p) => new AdEMAMix8bit(p)],
  ["SGDScheduleFree", (p) => new SGDScheduleFree(p)],
  ["AdamWScheduleFree", (p) => new AdamWScheduleFree(p)],
  ["Muon", (p) => new Muon(p), 1],
  // One iteration per step (maxIter 1, no line search) with a closure that returns a constant loss
  // and leaves the grads as they are: the vector work of a step, not a model's evaluation.
  ["LBFGS (maxIter 1)", (p) => lbfgsStepper(p)],
  ["tfjs adam", (p) => new TfjsAdam(p) as unknown as Optimizer<object>],
];
function lbfgsStepper(params: Tensor[]): Optimizer<object> {
  const opt = new LBFGS(params, { maxIter: 1, historySize: 10, lr: 1e-3 });
  return { step: () => opt.step(() => 1), free: () => opt.free() } as unknown as Optimizer<object>;
}

export const CUOPTIM_THROUGHPUT_COUNT = CUOPTIM.length + CUOPTIM_BF16.length + 1;

/** The rows whose cpu loops have a previous path (CUOPTIM_CPU_PATHS=previous), timed both ways. */
export const PREVIOUS_PATH_ROWS = ["AdamW8bit", "Lion8bit", "AdEMAMix8bit", "Adafactor", "CAME", "quantizeBlockwise", "dequantizeBlockwise"];

export const fill = (n: number, seed = 1): Float32Array => {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(i * 0.618 + seed) * 0.5;
  return out;
};

/** A row as measured, before the roofline (known only after every run) gives its percentage. */
export type MeasuredThroughput = Omit<ThroughputRow, "pctRoofline">;

/** cpu rows against the cpu roofline; cuda rows against the GPU's measured copy bandwidth. */
export function withRoofline(rows: MeasuredThroughput[], roofline: number, gpuCopyGBs?: number): ThroughputRow[] {
  return rows.map((r) => ({ ...r, pctRoofline: (100 * r.gbs) / (r.device === "cuda" && gpuCopyGBs ? gpuCopyGBs : roofline) }));
}

function row(implementation: string, optimizer: string, device: string, params: number, ms: number): MeasuredThroughput {
  const bytesPerParam = USEFUL_BYTES[optimizer] ?? 28;
  const gbs = (params * bytesPerParam) / (ms * 1e6);
  return { implementation, optimizer, device, params, ms, mparamPerS: params / ms / 1e3, bytesPerParam, gbs };
}

/** quantizeBlockwise / dequantizeBlockwise of one tensor of `numel` elements into tensors made once. */
function quantThroughput(device: Device, numel: number, only: ((name: string) => boolean) | undefined): MeasuredThroughput[] {
  const rows: MeasuredThroughput[] = [];
  const x = tensor(fill(numel, 3), [numel], { device });
  const q = quant.quantizeBlockwise(x);
  const back = quant.dequantizeBlockwise(q);
  const runs: [string, () => void][] = [
    ["quantizeBlockwise", () => quant.quantizeBlockwise(x, { out: { codes: q.codes, absmax: q.absmax } })],
    ["dequantizeBlockwise", () => quant.dequantizeBlockwise(q, { out: back })],
  ];
  for (const [name, run] of runs) {
    if (only && !only(name)) continue;
    const ms = timeSteps(() => {
      run();
      synchronize(device);
    }).medianMs;
    rows.push(row(`cuoptim ${name} (${device})`, name, device, numel, ms));
  }
  for (const t of [x, q.codes, q.absmax, back]) t.free();
  return rows;
}

/**
 * cuoptim's rows; `only` keeps the named ones (the previous-path child process runs those of
 * PREVIOUS_PATH_ROWS).
 */
export function cuoptimThroughput(device: Device, side: number, progress: Progress, only?: (name: string) => boolean): MeasuredThroughput[] {
  const rows: MeasuredThroughput[] = [];
  const params = Array.from({ length: 4 }, (_, i) => tensor(fill(side * side, i), [side, side], { device }));
  for (const p of params) p.grad = tensor(fill(side * side, 9).map((x) => x * 1e-2), [side, side], { device });
  for (const [name, make, steps] of CUOPTIM) {
    if (only && !only(name)) continue;
    const opt = make(params);
    const ms = timeSteps(
      () => {
        opt.step();
        synchronize(device);
      },
      steps ? { steps, warmup: 1 } : {},
    ).medianMs;
    rows.push(row(`cuoptim ${name} (${device})${steps ? ` [median of ${steps}]` : ""}`, name, device, 4 * side * side, ms));
    opt.free();
    progress.tick(`throughput: cuoptim ${name} on ${device}`);
  }
  for (const p of params) {
    p.grad!.free();
    p.free();
  }
  rows.push(...quantThroughput(device, 4 * side * side, only));
  progress.tick(`throughput: cuoptim quantize/dequantize on ${device}`);
  if (only) return rows;
  const half = Array.from({ length: 4 }, (_, i) => tensor(fill(side * side, i), [side, side], { device, dtype: "bfloat16" }));
  for (const p of half) p.grad = tensor(fill(side * side, 9).map((x) => x * 1e-2), [side, side], { device, dtype: "bfloat16" });
  for (const [name, make] of CUOPTIM_BF16) {
    const opt = make(half);
    const ms = timeSteps(() => {
      opt.step();
      synchronize(device);
    }).medianMs;
    rows.push(row(`cuoptim ${name} (${device})`, name, device, 4 * side * side, ms));
    opt.free();
    progress.tick(`throughput: cuoptim ${name} on ${device}`);
  }
  for (const p of half) {
    p.grad!.free();
    p.free();
  }
  return rows;
}

export async function peerThroughput(numel: number, threads: number, progress: Progress): Promise<{ rows: MeasuredThroughput[]; notes: string[] }> {
  const rows: MeasuredThroughput[] = [];
  const notes: string[] = [];
  for (const foreach of [true, false]) {
    const times = torchStepTimes({ optimizer: "AdamW", numel, tensors: 4, threads, steps: 10, foreach });
    if (times) rows.push(row(`torch AdamW(foreach=${foreach ? "True" : "False"})`, "AdamW", "cpu", numel, median(times)));
    else notes.push("PyTorch not found (apt-get install python3-torch): no torch rows.");
    progress.tick(`throughput: torch foreach=${foreach}`);
  }
  const sizes = Array.from({ length: 4 }, () => numel / 4);
  const tfjs = await tfjsAdam(sizes, fill);
  rows.push(row(`tfjs ${tfjs.version} AdamOptimizer (cpu backend)`, "AdamW", "cpu", numel, timeSteps(tfjs.step, { steps: 10, warmup: 2 }).medianMs));
  tfjs.dispose();
  progress.tick("throughput: tfjs");
  const plain = new PlainAdamW(sizes.map((n, i) => fill(n, i)), sizes.map((n) => fill(n, 9).map((x) => x * 1e-2)));
  rows.push(row("plain TypeScript loop AdamW (1 thread)", "AdamW", "cpu", numel, timeSteps(() => plain.step()).medianMs));
  progress.tick("throughput: plain TS");
  return { rows, notes };
}
