// test/cpu_paths.test.ts — the cpu loops that replaced slower ones give the same bits as those:
//   * the AVX-512 8-bit paths (code search and map lookups in registers) against the portable
//     loops of the baseline and avx2 tables, for the 8-bit optimizers and quantization;
//   * every path against CUOPTIM_CPU_PATHS=previous (the bucket table's gathers and the
//     tile-by-tile Adafactor walk), run in a child process, as the variable is read once;
//   * quantizeBlockwise at the decisions that matter: each value 2 ulps either side of every
//     midpoint between neighbouring codes, ±0, subnormals and ±1, against bitsandbytes' binary
//     search written out here.
import { spawnSync } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cpuIsa, dynamicMap, quantizeBlockwise, setCpuIsa, tensor } from "../src-ts/index.js";
import { cpuPathCases, factoredCases } from "./helpers/cpu_paths_cases.js";
import { testDevices } from "./helpers/devices.js";
import { underEveryIsa } from "./helpers/isa.js";

type Cases = Record<string, Record<string, string>>;

function assertSameCases(got: Cases, want: Cases, what: string): void {
  assert.equal(Object.keys(got).sort(), Object.keys(want).sort(), `${what}: the same cases`);
  for (const [name, tensors] of Object.entries(want)) {
    assert.equal(Object.keys(got[name]!).sort(), Object.keys(tensors).sort(), `${what}: ${name} has the same tensors`);
    for (const [key, d] of Object.entries(tensors)) assert.ok(got[name]![key] === d, `${what}: ${name} ${key} differs`);
  }
}

function cpuHasAvx512(): boolean {
  const original = cpuIsa() as "avx512" | "avx2" | "baseline";
  try {
    setCpuIsa("avx512");
    return true;
  } catch {
    return false;
  } finally {
    setCpuIsa(original);
  }
}
// The register paths are the avx512 table's: without AVX-512 this compares avx2 with baseline only,
// and the skipped entry says the register paths went unchecked.
if (!cpuHasAvx512()) test.skip("the AVX-512 register paths against the portable loops (this CPU has no AVX-512)", () => {});

test("every cpu ISA gives the same params, codes, absmax and state (8-bit optimizers, Adafactor, CAME, quantization)", () => {
  const byIsa = new Map<string, Cases>();
  const ran = underEveryIsa((isa) => byIsa.set(isa, cpuPathCases()));
  assert.ok(ran >= 1);
  const [first, ...rest] = [...byIsa.entries()];
  for (const [isa, cases] of rest) assertSameCases(cases, first![1], `${isa} vs ${first![0]}`);
});

test("the previous cpu paths (CUOPTIM_CPU_PATHS=previous, a child process) give the same bits", () => {
  const child = spawnSync(process.execPath, ["--import", "tsx", "test/helpers/cpu_paths_cases.ts"], {
    env: { ...process.env, CUOPTIM_CPU_PATHS: "previous" },
    encoding: "utf8",
  });
  assert.is(child.status, 0, child.stderr);
  assertSameCases(cpuPathCases(), JSON.parse(child.stdout) as Cases, `${cpuIsa()} vs previous paths`);
});

// Skipped (and counted so) where cuda-sim is not among the test devices.
(testDevices().includes("cuda-sim") ? test : test.skip)("Adafactor and CAME on the cpu (row-band walk, column factors computed once) equal cuda-sim bit for bit", () => {
  assertSameCases(factoredCases("cpu"), factoredCases("cuda-sim"), "cpu vs cuda-sim");
});

// bitsandbytes' nearest-code search (quant8.cuh's nearest_code), in float32 steps.
function nearestCode(code: Float32Array, x: number, signed: boolean): number {
  const f = Math.fround;
  let pivot = 127, lowerPivot = 0, upperPivot = 255;
  let lower = signed ? -1 : 0, upper = 1;
  let val = code[127]!;
  for (let k = 0; k < 7; k++) {
    const up = x > val;
    if (up) {
      lowerPivot = pivot;
      lower = val;
      pivot += 64 >> k;
    } else {
      upperPivot = pivot;
      upper = val;
      pivot -= 64 >> k;
    }
    val = code[pivot]!;
  }
  const above = x > val;
  const midpoint = f(f(above ? upper + val : lower + val) * 0.5);
  return above ? (x > midpoint ? upperPivot : pivot) : x < midpoint ? lowerPivot : pivot;
}

function ulpSteps(x: number, k: number): number {
  const b = new Float32Array([x]);
  const u = new Int32Array(b.buffer);
  // Steps in the float's integer order (negative floats count down in their bits).
  if (u[0]! >= 0) u[0] = u[0]! + k;
  else u[0] = u[0]! - k;
  return b[0]!;
}

for (const signed of [true, false]) {
  test(`quantizeBlockwise (${signed ? "signed" : "unsigned"} map): ±2 ulps around every midpoint give bitsandbytes' binary-search codes`, () => {
    const code = dynamicMap({ signed });
    const xs: number[] = [0, -0, 1, signed ? -1 : 1, 1e-45, 1.1754942e-38, 1e-30, 2.75e-7];
    if (signed) xs.push(-1e-45, -1.1754942e-38, -1e-30, -2.75e-7);
    for (let j = 0; j + 1 < 256; j++) {
      const mid = Math.fround(Math.fround(code[j]! + code[j + 1]!) * 0.5);
      for (let k = -2; k <= 2; k++) {
        const v = ulpSteps(mid, k);
        if (v >= (signed ? -1 : 0) && v <= 1) xs.push(v);
      }
    }
    // Blocks of 64 that each hold a 1: absmax is 1 and every x is quantized as it is.
    const perBlock = 63;
    const values: number[] = [];
    for (let i = 0; i < xs.length; i += perBlock) values.push(1, ...xs.slice(i, i + perBlock), ...new Array(Math.max(0, perBlock - (xs.length - i))).fill(0));
    let checked = 0;
    underEveryIsa((isa) => {
      const x = tensor(Float32Array.from(values), [values.length]);
      const q = quantizeBlockwise(x, { blockSize: 64, signed });
      const codes = q.codes.toArray() as Uint8Array;
      const absmax = q.absmax.toArray() as Float32Array;
      assert.ok(absmax.every((a) => a === 1), `${isa}: every block's absmax is 1`);
      const vals = Float32Array.from(values);
      for (let i = 0; i < vals.length; i++) {
        const want = nearestCode(code, vals[i]!, signed);
        assert.ok(codes[i] === want, `${isa}: x = ${vals[i]} (element ${i}) got code ${codes[i]}, the binary search gives ${want}`);
        checked++;
      }
      for (const t of [x, q.codes, q.absmax]) t.free();
    });
    assert.ok(checked >= 1000, `checked ${checked}`);
  });
}

test.run();
