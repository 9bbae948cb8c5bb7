// test/helpers/native_calls.ts — the native calls a small run of every optimizer and utility
// makes, recorded with their arguments, for the tests that replay them with hostile values
// (test/native.fuzz.test.ts, test/read_once.test.ts). Each record() makes fresh tensors.
import * as cuoptim from "../../src-ts/index.js";
import { type Device } from "../../src-ts/index.js";
import { native, type NativeTensor } from "../../src-ts/native.js";

export interface Recorded {
  fn: string;
  self?: NativeTensor;
  args: unknown[];
}

/** Records the native calls a small run of every optimizer and utility makes on `device`. */
export function record(device: Device): Recorded[] {
  const calls: Recorded[] = [];
  const names = ["optimizerStep", "optimizer8bitStep", "adafactorStep", "gradNorm", "transformTensors", "quantizeBlockwise", "dequantizeBlockwise", "dynamicMap", "memoryStats", "synchronize", "kernelSelfTest", "gemm", "addDiagonal", "prefetch"] as const;
  const saved = new Map<string, unknown>();
  const n = native as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const name of names) {
    const original = n[name]!;
    saved.set(name, original);
    n[name] = (...args: unknown[]) => {
      calls.push({ fn: name, args });
      return original.apply(native, args);
    };
  }
  try {
    const t = (shape: number[]) => cuoptim.tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i)), shape, { device });
    const makers: ((p: cuoptim.Tensor[]) => { step(o?: object): unknown })[] = [
      (p) => new cuoptim.AdamW(p, { amsgrad: true }),
      (p) => new cuoptim.SGD(p, { momentum: 0.9, nesterov: true }),
      (p) => new cuoptim.RMSprop(p, { centered: true, momentum: 0.5 }),
      (p) => new cuoptim.Lion(p),
      (p) => new cuoptim.RAdam(p),
      (p) => new cuoptim.NAdam(p),
      (p) => new cuoptim.Adamax(p),
      (p) => new cuoptim.Adagrad(p),
      (p) => new cuoptim.AdaBound(p, { amsbound: true }),
      (p) => new cuoptim.Lookahead(new cuoptim.SGD(p), { k: 1 }),
      (p) => new cuoptim.AdamW8bit(p, { min8bitSize: 16, blockSize: 64 }),
      (p) => new cuoptim.Lion8bit(p, { min8bitSize: 16, blockSize: 64 }),
      (p) => new cuoptim.Adafactor(p),
      (p) => new cuoptim.Adafactor(p, { variant: "transformers", beta1: 0.9 }),
      (p) => new cuoptim.CAME(p),
      (p) => new cuoptim.AdamW(p, { paged: true }),
      (p) => new cuoptim.Shampoo(p, { startPreconditioningStep: 1, preconditionFrequency: 1, maxPreconditionerDim: 8 }),
      (p) => {
        const o = new cuoptim.Sophia(p);
        o.updateHessian();
        return o;
      },
    ];
    for (const make of makers) {
      const params = [t([8, 20]), t([33]), t([1])];
      for (const p of params) p.grad = t(p.shape as number[]);
      make(params).step({ maxGradNorm: 1 });
      new cuoptim.EMA(params).update();
    }
    const x = t([300]);
    x.grad = t([300]);
    cuoptim.clipGradValue([x], 0.1);
    cuoptim.dequantizeBlockwise(cuoptim.quantizeBlockwise(x, { blockSize: 64 }));
    cuoptim.memoryStats(device);
    cuoptim.synchronize(device);
    if (device !== "cpu") native.kernelSelfTest(device, "block_sum", new Float32Array(100).fill(1), 64, 0);
  } finally {
    for (const [name, f] of saved) n[name] = f as (...a: unknown[]) => unknown;
  }
  return calls;
}

