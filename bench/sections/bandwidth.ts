// bench/sections/bandwidth.ts — the roofline: the memory bandwidth this machine reaches, measured
// three ways on 256 MiB buffers: a copy (one memmove: 4 bytes read + 4 written per float), an
// in-place scale over the cpu thread pool (4 + 4 bytes), and a STREAM-triad-like a ← a + w·(b − a)
// through the vectorised element-wise machinery on every thread (EMA's kernel: 8 read + 4
// written). The best is the bandwidth an element-wise optimizer step can hope for.
import { synchronize, zeros, type Device } from "../../src-ts/index.js";
import { native } from "../../src-ts/native.js";
import { timeSteps } from "../lib/measure.js";
import type { Progress } from "../lib/progress.js";

export interface Bandwidth {
  copyGBs: number;
  scaleGBs: number;
  triadGBs: number;
  rooflineGBs: number;
  floats: number;
}

export function measureBandwidth(device: Device, floats: number, progress: Progress): Bandwidth {
  const a = zeros([floats], { device });
  const b = zeros([floats], { device });
  const bytes = floats * 8;
  const copy = timeSteps(() => {
    b.native.copyFrom(a.native);
    synchronize(device);
  }).medianMs;
  progress.tick("bandwidth: copy");
  const scale = timeSteps(() => {
    native.transformTensors([a.native], "scale", 1);
    synchronize(device);
  }).medianMs;
  progress.tick("bandwidth: scale");
  const triad = timeSteps(() => {
    native.optimizerStep("ema", [[a.native], [b.native]], [1], [false], { weight: 0.5 });
    synchronize(device);
  }).medianMs;
  progress.tick("bandwidth: triad");
  a.free();
  b.free();
  const copyGBs = bytes / (copy * 1e6);
  const scaleGBs = bytes / (scale * 1e6);
  const triadGBs = (floats * 12) / (triad * 1e6);
  return { copyGBs, scaleGBs, triadGBs, rooflineGBs: Math.max(copyGBs, scaleGBs, triadGBs), floats };
}

/** Each way's best of several measurements, and the roofline from those. */
export function bestBandwidth(...runs: Bandwidth[]): Bandwidth {
  const best = (key: "copyGBs" | "scaleGBs" | "triadGBs") => Math.max(...runs.map((r) => r[key]));
  const copyGBs = best("copyGBs"), scaleGBs = best("scaleGBs"), triadGBs = best("triadGBs");
  return { copyGBs, scaleGBs, triadGBs, rooflineGBs: Math.max(copyGBs, scaleGBs, triadGBs), floats: runs[0]!.floats };
}
