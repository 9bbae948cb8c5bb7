// bench/adamw-cpu.mjs — cuoptim's fused AdamW step on the cpu backend beside torch 1.13's
// AdamW (foreach and single-tensor) on the same machine and thread count, in one run.
//
// usage: node bench/adamw-cpu.mjs [--numel 16777216] [--tensors 4] [--steps 12]
// Reports the median step time and the useful memory traffic (AdamW moves 28 bytes/param/step:
// reads p, g, m, v and writes p, m, v).
import { spawnSync } from "node:child_process";
import { AdamW, numThreads, cpuIsa, tensor } from "cuoptim";
import { median, parseArgs, findTorchPython } from "./util.mjs";

const args = parseArgs({ numel: 16 * 1024 * 1024, tensors: 4, steps: 12, warmup: 2 });
const threads = numThreads();
const BYTES_PER_PARAM = 28;

function cuoptimTimes() {
  const per = Math.floor(args.numel / args.tensors);
  const params = Array.from({ length: args.tensors }, (_, i) => {
    const n = i === args.tensors - 1 ? args.numel - per * (args.tensors - 1) : per;
    const p = tensor(Float32Array.from({ length: n }, () => Math.random() - 0.5), [n], { device: "cpu" });
    p.grad = tensor(Float32Array.from({ length: n }, () => (Math.random() - 0.5) * 1e-2), [n], { device: "cpu" });
    return p;
  });
  const opt = new AdamW(params, { lr: 1e-3 });
  const times = [];
  for (let i = 0; i < args.warmup + args.steps; i++) {
    const t0 = performance.now();
    opt.step();
    const dt = performance.now() - t0;
    if (i >= args.warmup) times.push(dt);
  }
  opt.free();
  for (const p of params) {
    p.grad.free();
    p.free();
  }
  return times;
}

function torchTimes(foreach) {
  const python = findTorchPython();
  if (!python) return null;
  const r = spawnSync(python, ["bench/torch_adamw.py", "--numel", String(args.numel), "--tensors", String(args.tensors),
    "--threads", String(threads), "--steps", String(args.steps), "--warmup", String(args.warmup), "--foreach", foreach ? "1" : "0"],
    { encoding: "utf8" });
  if (r.status !== 0) return null;
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

const rows = [];
const ours = median(cuoptimTimes());
rows.push(["cuoptim AdamW (cpu, fused)", ours]);
const foreach = torchTimes(true);
const single = torchTimes(false);
if (foreach) rows.push([`torch ${foreach.torch} AdamW(foreach=True)`, median(foreach.times_ms)]);
if (single) rows.push([`torch ${single.torch} AdamW(foreach=False)`, median(single.times_ms)]);

console.log(`AdamW step, ${args.numel.toLocaleString()} params in ${args.tensors} tensors, ${threads} threads, cpu ISA ${cpuIsa()}, median of ${args.steps}`);
console.log("| implementation | ms/step | Mparam/s | GB/s (28 B/param) | vs cuoptim |");
console.log("|---|---:|---:|---:|---:|");
for (const [name, ms] of rows) {
  const gbs = (args.numel * BYTES_PER_PARAM) / (ms * 1e6);
  console.log(`| ${name} | ${ms.toFixed(2)} | ${(args.numel / ms / 1e3).toFixed(0)} | ${gbs.toFixed(2)} | ${(ms / ours).toFixed(2)}x |`);
}
if (!foreach) console.log("(torch not found: install Debian's python3-torch to compare)");
