// bench/sections/memory.ts — bytes per parameter, measured: each optimizer is built over a
// parameter list, stepped once (state is created lazily, as in torch), and memoryStats' current
// bytes by role (params, grads, optimizer state) are read and divided by the parameter count.
import { ASGD, Adadelta, Adafactor, Adam, AdamW, AdamW8bit, AdEMAMix, AdEMAMix8bit, AdamWScheduleFree, CAME, LAMB, LARS, Lion, memoryStats, Muon, SGDScheduleFree, RMSprop, Rprop, SGD, Shampoo, Sophia, zeros, type Device, type FloatDType, type Optimizer, type Tensor } from "../../src-ts/index.js";
import { numelOf, type ParamSpec } from "../lib/models.js";
import type { Progress } from "../lib/progress.js";

type Make = (groups: { params: Tensor[]; weightDecay?: number }[]) => Optimizer<object>;
export const MEMORY_OPTIMIZERS: [string, Make][] = [
  ["SGD", (g) => new SGD(g, { lr: 0.1 })],
  ["SGD+momentum", (g) => new SGD(g, { lr: 0.1, momentum: 0.9 })],
  ["RMSprop", (g) => new RMSprop(g)],
  ["Adam", (g) => new Adam(g)],
  ["AdamW", (g) => new AdamW(g)],
  ["Lion", (g) => new Lion(g)],
  ["AdamW8bit", (g) => new AdamW8bit(g)],
  ["Adafactor", (g) => new Adafactor(g)],
  ["Sophia", (g) => new Sophia(g)],
  ["CAME", (g) => new CAME(g)],
  ["Shampoo", (g) => new Shampoo(g)],
  ["Adadelta", (g) => new Adadelta(g)],
  ["Rprop", (g) => new Rprop(g.map(({ params }) => ({ params })))], // torch's Rprop has no weight decay
  ["ASGD", (g) => new ASGD(g)],
  ["LARS", (g) => new LARS(g)],
  ["LAMB", (g) => new LAMB(g)],
  ["AdEMAMix", (g) => new AdEMAMix(g)],
  ["AdEMAMix8bit", (g) => new AdEMAMix8bit(g)],
  ["SGDScheduleFree", (g) => new SGDScheduleFree(g)],
  ["AdamWScheduleFree", (g) => new AdamWScheduleFree(g)],
];

/**
 * Run on the first workload (the model) only: Muon's one step orthogonalises every matrix (O(side)
 * flops per element), minutes on the largest single matrices. It takes the 2-D params only (the
 * rest would go to an AdamW beside it); its bytes are per param of the whole list.
 */
export const MODEL_MEMORY_OPTIMIZERS: [string, Make][] = [
  ["Muon (2-D params)", (g) => new Muon(g.map(({ params }) => ({ params: params.filter((p) => p.shape.length === 2) })).filter((x) => x.params.length > 0))],
];

/** Mixed-precision setups: bfloat16 params and grads, the optimizer's state as each keeps it. */
export const MIXED_MEMORY_OPTIMIZERS: [string, Make][] = [
  ["AdamW bf16 + f32 master", (g) => new AdamW(g, { masterWeights: true })],
  ["AdamW bf16 (f32 state, no master)", (g) => new AdamW(g)],
  ["AdamW bf16 + SR (f32 state)", (g) => new AdamW(g, { stochasticRounding: true })],
  ["AdamW bf16, bf16 state", (g) => new AdamW(g, { stateDtype: "param" })],
  ["AdamW8bit bf16 + SR", (g) => new AdamW8bit(g, { stochasticRounding: true })],
  ["AdamW8bit bf16 + f32 master", (g) => new AdamW8bit(g, { masterWeights: true })],
  ["Adafactor bf16 + SR", (g) => new Adafactor(g, { stochasticRounding: true })],
];

/** Published or seed figures to put beside the measurements: optimizer state bytes per param. */
export const CLAIMS: Record<string, string> = {
  SGD: "1× θ (seed table): no state",
  "SGD+momentum": "2× θ (seed table): 4 B",
  RMSprop: "2× θ (seed table): 4 B",
  Adam: "3× θ (seed table): 8 B",
  AdamW: "3× θ (seed table): 8 B",
  Lion: "2× θ (Chen et al. 2023: one moment): 4 B",
  AdamW8bit: "2 B + block absmax (Dettmers et al. 2022: 75% less than 32-bit Adam)",
  Adafactor: "O(rows + cols) per matrix (Shazeer & Stern 2018)",
  Sophia: "3× θ (Liu et al. 2023: m and h, as Adam): 8 B",
  CAME: "θ (m) + O(rows + cols) (Luo et al. 2023)",
  Shampoo: "m, Adam's v (8 B) + blocks' L, R and roots: 8 B + 8·(b_r² + b_c²)/(b_r·b_c) per block",
  Adadelta: "3× θ (Zeiler 2012: E[g²], E[Δx²]): 8 B",
  Rprop: "3× θ (Riedmiller & Braun 1993: previous gradient, step size): 8 B",
  ASGD: "2× θ (Polyak & Juditsky 1992: the averaged iterate): 4 B",
  LARS: "2× θ (You et al. 2017: momentum): 4 B",
  LAMB: "3× θ (You et al. 2019: m, v): 8 B",
  AdEMAMix: "4× θ (Pagliardini et al. 2024: m1, m2, ν): 12 B",
  AdEMAMix8bit: "3 B + block absmax (bitsandbytes: three 8-bit states)",
  SGDScheduleFree: "2× θ (Defazio et al. 2024: z): 4 B",
  AdamWScheduleFree: "3× θ (Defazio et al. 2024: z, v): 8 B",
  "Muon (2-D params)": "2× θ over the matrices (Jordan et al. 2024: momentum): 4 B",
  "AdamW bf16 + f32 master": "16 B/param in all (Rajbhandari et al. 2020, ZeRO: 2 + 2 + K = 12)",
  "AdamW bf16 (f32 state, no master)": "2 + 2 + 8 = 12 B/param",
  "AdamW bf16 + SR (f32 state)": "2 + 2 + 8 = 12 B/param (llm.c's bf16 AdamW)",
  "AdamW bf16, bf16 state": "2 + 2 + 4 = 8 B/param (torch fused AdamW over bf16 params)",
  "AdamW8bit bf16 + SR": "2 + 2 + 2.03 B/param (two 8-bit states + an f32 absmax per 256)",
  "AdamW8bit bf16 + f32 master": "2 + 2 + 4 + 2.03 B/param",
  "Adafactor bf16 + SR": "2 + 2 + O(rows + cols) B/param",
};

export interface MemoryRow {
  workload: string;
  optimizer: string;
  params: number;
  /** bytes per parameter, by role */
  paramBytes: number;
  gradBytes: number;
  stateBytes: number;
  /** (params + state) / params: the seed table's multiple of θ */
  multiple: number;
}

export function measureMemory(device: Device, workloads: [string, ParamSpec[]][], progress: Progress): MemoryRow[] {
  const rows: MemoryRow[] = [];
  // Muon and the mixed-precision setups run on the first workload (the model) only.
  const full: [string, Make, FloatDType][] = MEMORY_OPTIMIZERS.map(([n, m]) => [n, m, "float32"]);
  const mixed: [string, Make, FloatDType][] = [
    ...MODEL_MEMORY_OPTIMIZERS.map(([n, m]): [string, Make, FloatDType] => [n, m, "float32"]),
    ...MIXED_MEMORY_OPTIMIZERS.map(([n, m]): [string, Make, FloatDType] => [n, m, "bfloat16"]),
  ];
  for (const [w, [workload, specs]] of workloads.entries()) {
    for (const [name, make, dtype] of w === 0 ? [...full, ...mixed] : full) {
      const before = memoryStats(device).current;
      const params = specs.map((s) => zeros(s.shape, { device, dtype }));
      for (const p of params) p.grad = zeros(p.shape as number[], { device, dtype });
      const decay = params.filter((_, i) => !specs[i]!.noDecay);
      const noDecay = params.filter((_, i) => specs[i]!.noDecay);
      const opt = make([{ params: decay }, ...(noDecay.length ? [{ params: noDecay, weightDecay: 0 }] : [])]);
      opt.step();
      const now = memoryStats(device).current;
      const n = specs.reduce((a, s) => a + numelOf(s.shape), 0);
      const per = (k: "params" | "grads" | "state") => (now[k] - before[k]) / n;
      rows.push({ workload, optimizer: name, params: n, paramBytes: per("params"), gradBytes: per("grads"), stateBytes: per("state"), multiple: (per("params") + per("state")) / per("params") });
      opt.free();
      for (const p of params) {
        p.grad!.free();
        p.free();
      }
      progress.tick(`memory: ${name} on ${workload}`);
    }
  }
  return rows;
}
