// bench/sections/scaling.ts — AdamW time per step against size (one tensor, 1K to 64M params:
// dispatch overhead at the small end, bandwidth at the large), and cpu thread scaling (many small
// tensors: step_overhead.ts).
import { AdamW, setNumThreads, numThreads, synchronize, tensor, type Device, type Tensor } from "../../src-ts/index.js";
import { timeShortSteps, timeSteps } from "../lib/measure.js";
import type { Progress } from "../lib/progress.js";
import { fill } from "./throughput.js";

export interface ScalingRow {
  params: number;
  tensors: number;
  usPerStep: number;
  nsPerParam: number;
}

function adamwStep(device: Device, sizes: number[]): { step: () => void; free: () => void } {
  const params = sizes.map((n, i) => tensor(fill(n, i), [n], { device }));
  for (const p of params) p.grad = tensor(fill(p.numel, 7).map((x) => x * 1e-2), [p.numel], { device });
  const opt = new AdamW(params);
  return {
    step: () => {
      opt.step();
      synchronize(device);
    },
    free: () => {
      opt.free();
      for (const p of params as Tensor[]) {
        p.grad!.free();
        p.free();
      }
    },
  };
}

function timeSizes(device: Device, sizes: number[]): ScalingRow {
  const run = adamwStep(device, sizes);
  const total = sizes.reduce((a, b) => a + b, 0);
  const ms = total <= 1 << 18 ? timeShortSteps(run.step) : timeSteps(run.step).medianMs;
  run.free();
  return { params: total, tensors: sizes.length, usPerStep: ms * 1e3, nsPerParam: (ms * 1e6) / total };
}

export function sizeScaling(device: Device, maxLog4: number, progress: Progress): ScalingRow[] {
  const rows: ScalingRow[] = [];
  for (let e = 5; e <= maxLog4; e++) {
    rows.push(timeSizes(device, [4 ** e]));
    progress.tick(`scaling: ${4 ** e} params`);
  }
  return rows;
}

export interface ThreadRow {
  threads: number;
  ms: number;
  speedup: number;
}

export function threadScaling(numel: number, maxThreads: number, progress: Progress): ThreadRow[] {
  const before = numThreads();
  const rows: ThreadRow[] = [];
  try {
    const run = adamwStep("cpu", Array.from({ length: 4 }, () => numel / 4));
    for (let t = 1; t <= maxThreads; t++) {
      setNumThreads(t);
      const ms = timeSteps(run.step).medianMs;
      rows.push({ threads: t, ms, speedup: rows.length ? rows[0]!.ms / ms : 1 });
      progress.tick(`threads: ${t}`);
    }
    run.free();
  } finally {
    setNumThreads(before);
  }
  return rows;
}
