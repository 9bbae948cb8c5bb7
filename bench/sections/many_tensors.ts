// bench/sections/many_tensors.ts — the cost of an optimizer over many small params (a model with
// 100 000 parameter tensors): building AdamW, its first step (which creates the state), a later
// step, save() and load() of a checkpoint with params and state. One run each, wall time: these
// are O(tensors) paths, measured to show they stay linear.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AdamW, load, save, zeros, type Device } from "../../src-ts/index.js";
import type { Progress } from "../lib/progress.js";

export interface ManyTensorsRow {
  tensors: number;
  constructMs: number;
  firstStepMs: number;
  stepMs: number;
  saveMs: number;
  loadMs: number;
}

export function manyTensors(device: Device, count: number, progress: Progress): ManyTensorsRow {
  const params = Array.from({ length: count }, () => zeros([4], { device }));
  for (const p of params) p.grad = zeros([4], { device });
  const dir = mkdtempSync(join(tmpdir(), "cuoptim-bench-"));
  const time = (f: () => void) => {
    const t = performance.now();
    f();
    return performance.now() - t;
  };
  try {
    let opt!: AdamW;
    const constructMs = time(() => (opt = new AdamW(params)));
    const firstStepMs = time(() => opt.step());
    const stepMs = time(() => opt.step());
    const named = Object.fromEntries(params.map((p, i) => [`layer${i}.weight`, p]));
    const path = join(dir, "many.safetensors");
    const saveMs = time(() => save(path, { params: named, optimizer: opt }));
    const loadMs = time(() => load(path, { params: named, optimizer: opt }));
    opt.free();
    progress.tick(`${count} tensors: construct, step, save, load`);
    return { tensors: count, constructMs, firstStepMs, stepMs, saveMs, loadMs };
  } finally {
    for (const p of params) (p.grad?.free(), p.free());
    rmSync(dir, { recursive: true, force: true });
  }
}
