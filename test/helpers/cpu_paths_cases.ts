// test/helpers/cpu_paths_cases.ts — the runs test/cpu_paths.test.ts compares across the cpu loop
// paths: a SHA-256 of each final param and state tensor of each case, from fixed synthetic
// inputs. Run as a script it prints them as JSON (the test runs it with CUOPTIM_CPU_PATHS=previous).
import { createHash } from "node:crypto";
import { Adafactor, AdamW8bit, AdEMAMix8bit, CAME, Lion8bit, quant, tensor, type Device, type Optimizer, type Tensor } from "../../src-ts/index.js";
import { uniform } from "./synth.js";

const digest = (a: ArrayBufferView) => createHash("sha256").update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest("hex").slice(0, 24);
type Digests = Record<string, string>;

// Shapes that reach every walk: more than 16 tile strips across (two groups), several row
// segments, a partial last strip and segment, a batched 3-D param and a vector.
const SHAPES: number[][] = [[20, 4200], [520, 260], [2, 30, 300], [5000]];

function run(make: (p: Tensor[]) => Optimizer<object>, steps: number, device: Device = "cpu"): Digests {
  const params = SHAPES.map((shape, i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return tensor(uniform(7, i, 0, n), shape, { device });
  });
  const opt = make(params);
  for (let s = 1; s <= steps; s++) {
    params.forEach((p, i) => {
      p.grad?.free();
      // Grads across many magnitudes, some exact zeros and tiny values: moments near every code.
      const g = uniform(7, 100 + i, s, p.numel).map((x, j) => (j % 97 === 0 ? 0 : x * 10 ** ((j % 9) - 6)));
      p.grad = tensor(g, p.shape, { device });
    });
    opt.step();
  }
  const out: Digests = {};
  params.forEach((p, i) => (out[`params[${i}]`] = digest(p.toArray())));
  for (const [index, entry] of Object.entries(opt.stateDict().state)) {
    for (const [key, v] of Object.entries(entry as Record<string, unknown>)) {
      out[`state[${index}].${key}`] = ArrayBuffer.isView(v) ? digest(v) : v && typeof v === "object" && "toArray" in v ? digest((v as Tensor).toArray()) : JSON.stringify(v);
    }
  }
  opt.free();
  for (const p of params) {
    p.grad?.free();
    p.free();
  }
  return out;
}

function quantRoundTrip(signed: boolean): Digests {
  const n = 3 * 4096 + 77;
  const x = tensor(uniform(9, signed ? 1 : 2, 0, n).map((v, j) => (signed ? v : Math.abs(v)) * 10 ** -(j % 8)), [n]);
  const q = quant.quantizeBlockwise(x, { signed, blockSize: 256 });
  const back = quant.dequantizeBlockwise(q);
  const out = { codes: digest(q.codes.toArray()), absmax: digest(q.absmax.toArray()), dequantized: digest(back.toArray()) };
  for (const t of [x, q.codes, q.absmax, back]) t.free();
  return out;
}

/** The Adafactor and CAME cases on `device` (cuda-sim runs the CUDA kernels' own walk and tree). */
export function factoredCases(device: Device): Record<string, Digests> {
  return {
    Adafactor: run((p) => new Adafactor(p), 3, device),
    "Adafactor (transformers)": run((p) => new Adafactor(p, { variant: "transformers", lr: 1e-3, relativeStep: false, beta1: 0.9 }), 3, device),
    CAME: run((p) => new CAME(p), 3, device),
  };
}

export function cpuPathCases(): Record<string, Digests> {
  return {
    AdamW8bit: run((p) => new AdamW8bit(p, { blockSize: 256, min8bitSize: 64 }), 4),
    Lion8bit: run((p) => new Lion8bit(p), 4),
    AdEMAMix8bit: run((p) => new AdEMAMix8bit(p), 3),
    Adafactor: run((p) => new Adafactor(p), 3),
    "Adafactor (transformers)": run((p) => new Adafactor(p, { variant: "transformers", lr: 1e-3, relativeStep: false, beta1: 0.9 }), 3),
    CAME: run((p) => new CAME(p), 3),
    "quantizeBlockwise signed": quantRoundTrip(true),
    "quantizeBlockwise unsigned": quantRoundTrip(false),
  };
}

if (process.argv[1]?.endsWith("cpu_paths_cases.ts")) process.stdout.write(JSON.stringify(cpuPathCases()));
