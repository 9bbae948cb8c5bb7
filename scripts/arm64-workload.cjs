// scripts/arm64-workload.cjs — a fixed optimizer workload whose result bits are printed as one
// SHA-256 per case, so two machines can be compared: scripts/arm64-check.mjs runs it on x86-64
// and on the linux-arm64 prebuild (under qemu-aarch64) and requires equal digests. Plain
// CommonJS over dist/, for the older Node that runs under emulation.
"use strict";
const { createHash } = require("node:crypto");
const c = require("../dist/index.cjs");

// Deterministic values without Math.random: a 32-bit LCG mapped to [-1, 1).
function values(seed, n, scale) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

const SHAPES = [[64, 48], [1000], [3, 17, 9]];
const CASES = {
  AdamW: (ps) => new c.AdamW(ps, { lr: 1e-2, weightDecay: 0.1 }),
  "SGD momentum nesterov": (ps) => new c.SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true }),
  Lion: (ps) => new c.Lion(ps, { lr: 1e-3, weightDecay: 0.1 }),
  RMSprop: (ps) => new c.RMSprop(ps, { lr: 1e-2, centered: true, momentum: 0.5 }),
  NAdam: (ps) => new c.NAdam(ps, { lr: 1e-2 }),
  AdamW8bit: (ps) => new c.AdamW8bit(ps, { lr: 1e-2, min8bitSize: 64, blockSize: 64 }),
  Lion8bit: (ps) => new c.Lion8bit(ps, { lr: 1e-3, min8bitSize: 64, blockSize: 128 }),
  Adafactor: (ps) => new c.Adafactor(ps, {}),
  CAME: (ps) => new c.CAME(ps, { lr: 1e-3 }),
  "AdamW bf16 + masters": (ps) => new c.AdamW(ps, { lr: 1e-2, masterWeights: true }),
};

function run(name, device) {
  const dtype = name.includes("bf16") ? "bfloat16" : "float32";
  const params = SHAPES.map((shape, i) => c.tensor(values(11 + i, shape.reduce((a, b) => a * b, 1), 1), shape, { device, dtype }));
  const opt = CASES[name](params);
  for (let step = 1; step <= 3; step++) {
    params.forEach((p, i) => (p.grad = c.tensor(values(100 * step + i, p.numel, 0.5), p.shape, { device, dtype })));
    opt.step({ maxGradNorm: 2 });
  }
  const hash = createHash("sha256");
  for (const p of params) hash.update(Buffer.from(p.toBits().buffer));
  for (const state of opt.state.values()) for (const t of Object.values(state.tensors)) hash.update(Buffer.from(t.toBits().buffer));
  const q = c.quantizeBlockwise(params[0].dtype === "float32" ? params[0] : c.tensor(values(5, 3072, 1), [64, 48], { device }), { blockSize: 256 });
  hash.update(Buffer.from(q.codes.toBits().buffer)).update(Buffer.from(q.absmax.toBits().buffer));
  return hash.digest("hex");
}

const devices = (process.argv[2] ?? "cpu,cuda-sim").split(",");
const out = { arch: process.arch, isa: c.cpuIsa(), digests: {} };
for (const device of devices) for (const name of Object.keys(CASES)) out.digests[`${device}: ${name}`] = run(name, device);
console.log(JSON.stringify(out));
