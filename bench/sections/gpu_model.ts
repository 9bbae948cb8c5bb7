// bench/sections/gpu_model.ts — the GPU roofline as modelled from the kernels' code and ptxas
// output (`npm run resource-check`), for the report until a GPU run replaces it: per kernel, the
// bytes it must move per param, the share of the copy bandwidth it is expected to reach, and why.
// The modelled device is an H100 SXM (HBM3, 3.35 TB/s peak per NVIDIA's datasheet; a device copy
// reaches about 90% of it). Where a GPU was measured, the report puts its numbers beside these.

export interface GpuModelRow {
  /** the throughput row's optimizer name (bench/sections/throughput.ts), or a kernel's name */
  optimizer: string;
  bytesPerParam: number;
  /** expected % of the device's copy bandwidth, low and high */
  low: number;
  high: number;
  why: string;
  /** its % is of FP32 peak, not of the bandwidth: no bandwidth-modelled time */
  computeBound?: boolean;
}

export const MODEL_DEVICE = { name: "H100 SXM (HBM3)", peakGBs: 3350, copyGBs: 3000 };

export const GPU_MODEL: GpuModelRow[] = [
  { optimizer: "AdamW", bytesPerParam: 28, low: 80, high: 90, why: "multi-tensor apply: one block per 64K-element chunk, the whole step in one launch (hundreds of tensors per launch in 32 KiB of kernel parameters), float4 loads and stores, 512 threads, no shared memory; the shape of apex's and torch's fused AdamW" },
  { optimizer: "AdamW bf16", bytesPerParam: 22, low: 75, high: 85, why: "as AdamW; the bf16 streams move 8 bytes per 4 elements, half a float4, so fewer bytes per memory transaction" },
  { optimizer: "Lion", bytesPerParam: 20, low: 80, high: 90, why: "as AdamW, one state stream" },
  { optimizer: "AdamW8bit", bytesPerParam: 16, low: 45, high: 60, why: "no stack frame, no launch cap (one grid over the whole step) (102 registers on sm_90, 2 blocks per SM); left: per 256-element block an absmax reduction with two barriers, a 7-step binary search of the 256-entry code per element (dependent shared-memory loads), and byte-wide state loads" },
  { optimizer: "Lion8bit", bytesPerParam: 14, low: 45, high: 60, why: "as AdamW8bit with one 8-bit state (72 registers)" },
  { optimizer: "AdEMAMix8bit", bytesPerParam: 18, low: 35, high: 50, why: "as AdamW8bit with three 8-bit states (126 registers, so fewer warps per SM)" },
  { optimizer: "Adafactor", bytesPerParam: 12, low: 35, high: 45, why: "three passes over g (stats, RMS of U, update) in 256-column tiles, five launches per step over every tensor (not per tensor), whole-block strided sums for the scalars, no per-element division; the passes move 24 bytes per param where 12 are useful, so 50% of the copy bandwidth is this order of work's ceiling" },
  { optimizer: "CAME", bytesPerParam: 20, low: 30, high: 40, why: "Adafactor's passes plus the confidence statistics (a fourth pass, eight launches per step over every tensor)" },
  { optimizer: "quantizeBlockwise", bytesPerParam: 5, low: 30, high: 45, why: "per 4096-element block an absmax reduction, then a 7-step binary search of the code per element; byte-wide stores" },
  { optimizer: "dequantizeBlockwise", bytesPerParam: 5, low: 70, high: 85, why: "one shared-memory code lookup per element, byte-wide loads" },
  { optimizer: "Shampoo", bytesPerParam: 28, low: 20, high: 35, why: "compute-bound, and the % is of FP32 peak, not bandwidth: its GEMM computes 64×64 tiles with 4×4 outputs per thread in registers (46 registers, 8.3 KB shared), staging 16 k-values at a time with coalesced loads; no double buffering, no vector loads, no tensor cores (the fp32 bits must match the cpu)", computeBound: true },
];

/** Modelled time of one step over `params` params at the middle of the row's range (NaN when compute-bound). */
export function modelledMs(row: GpuModelRow, params: number, copyGBs = MODEL_DEVICE.copyGBs): number {
  if (row.computeBound) return Number.NaN;
  const gbs = (copyGBs * (row.low + row.high)) / 200;
  return (params * row.bytesPerParam) / (gbs * 1e6);
}
