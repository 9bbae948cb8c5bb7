// bench/sections/step_overhead.ts — what a step costs beyond its kernels (cpu), side by side in
// one run: AdamW over 200 tensors of 1K params against the same 204 800 params as one tensor
// (the compute floor), torch 1.13's foreach AdamW over the same 200-tensor list (the anchor), and
// the host share of a step over a model's tensor shapes (GPT-2 small: 148 tensors).
//
// The host part of the model's step is measured as a step over as many tensors of one param
// each: the same JS, N-API and per-tensor planning, with next to no arithmetic. It bounds the
// host part from above (it also holds the thread pool's dispatch of each tensor's chunk).
import { AdamW, zeros, type Device, type Tensor } from "../../src-ts/index.js";
import { torchStepTimes } from "../lib/machine.js";
import { median, timeShortSteps, timeSteps } from "../lib/measure.js";
import type { ParamSpec } from "../lib/models.js";
import type { Progress } from "../lib/progress.js";
import { fill } from "./throughput.js";

export interface OverheadRow {
  params: number;
  tensors: number;
  usPerStep: number;
  nsPerParam: number;
}

export interface StepOverhead {
  many: OverheadRow;
  one: OverheadRow;
  /** torch's foreach AdamW over the 200 × 1K list, µs per step (null without torch) */
  torchForeachUs: number | null;
  model: { name: string; tensors: number; params: number; stepMs: number; hostUs: number; hostShare: number };
}

function adamw(device: Device, shapes: number[][], values: boolean): { step: () => void; free: () => void } {
  const params = shapes.map((shape, i) => {
    const p = zeros(shape, { device }) as Tensor;
    const g = zeros(shape, { device }) as Tensor;
    if (values) {
      p.set(fill(p.numel, i));
      g.set(fill(p.numel, i + 7).map((x) => x * 1e-2));
    }
    p.grad = g;
    return p;
  });
  const opt = new AdamW(params);
  return {
    step: () => opt.step(),
    free: () => {
      opt.free();
      for (const p of params) {
        p.grad!.free();
        p.free();
      }
    },
  };
}

function shortRow(device: Device, shapes: number[][]): OverheadRow {
  const run = adamw(device, shapes, true);
  const us = timeShortSteps(run.step) * 1e3;
  run.free();
  const params = shapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
  return { params, tensors: shapes.length, usPerStep: us, nsPerParam: (us * 1e3) / params };
}

export function stepOverhead(device: Device, model: { name: string; specs: ParamSpec[] }, threads: number, progress: Progress): StepOverhead {
  const many = shortRow(device, Array.from({ length: 200 }, () => [1024]));
  const one = shortRow(device, [[200 * 1024]]);
  progress.tick("step overhead: 200 x 1K tensors");
  const torch = torchStepTimes({ optimizer: "AdamW", numel: 200 * 1024, tensors: 200, threads, steps: 400, foreach: true });
  progress.tick("step overhead: torch foreach AdamW, 200 x 1K");
  const shapes = model.specs.map((s) => s.shape);
  const full = adamw(device, shapes, false);
  const stepMs = timeSteps(full.step, { steps: 5, warmup: 1 }).medianMs;
  full.free();
  const tiny = adamw(device, shapes.map(() => [1]), true);
  const hostUs = timeShortSteps(tiny.step) * 1e3;
  tiny.free();
  progress.tick(`step overhead: ${model.name}`);
  const params = shapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
  return {
    many,
    one,
    torchForeachUs: torch ? median(torch) * 1e3 : null,
    model: { name: model.name, tensors: shapes.length, params, stepMs, hostUs, hostShare: hostUs / (stepMs * 1e3) },
  };
}
