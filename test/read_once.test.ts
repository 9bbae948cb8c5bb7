// test/read_once.test.ts — JS that runs while a native call reads its arguments cannot make the
// call touch freed memory or half-apply. Every recorded call of every native entry point that
// takes tensors (test/helpers/native_calls.ts) is replayed on fresh copies of its tensors, with
// every array element and option turned into a getter; the K-th getter read frees one of the
// call's tensors (the first, then the last it names), for every K the call reads. Each replay
// whose free happened during the call must throw a CuoptimError (code ERR_FREED) and leave every
// other tensor byte-identical. CI also runs this under ASan, which flags any write to freed
// memory.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CuoptimError } from "../src-ts/index.js";
import { native, type NativeTensor } from "../src-ts/native.js";
import { testDevices } from "./helpers/devices.js";
import { record } from "./helpers/native_calls.js";

const ENTRY_POINTS = ["optimizerStep", "optimizer8bitStep", "adafactorStep", "gradNorm", "transformTensors", "quantizeBlockwise", "dequantizeBlockwise", "gemm", "addDiagonal", "prefetch"];
const isTensor = (v: unknown): v is NativeTensor => v instanceof native.Tensor;

interface Replay {
  args: unknown[];
  tensors: NativeTensor[];
  reads: () => number;
}

/** Fresh copies of the call's tensors, every array element and object key behind a getter whose
 * `armAt`-th read frees `tensors[victim]` (victim -1: the last tensor). */
function hostile(args: unknown[], armAt: number, victim: number): Replay {
  const tensors: NativeTensor[] = [];
  let reads = 0;
  const copies = new Map<NativeTensor, NativeTensor>();
  let victimTensor: NativeTensor | undefined;
  const tick = () => {
    reads++;
    if (reads === armAt && victimTensor) victimTensor.free();
  };
  const wrap = (v: unknown): unknown => {
    if (isTensor(v)) {
      let c = copies.get(v);
      if (!c) {
        c = new native.Tensor(v.device, v.dtype, v.shape);
        c.copyFrom(v);
        copies.set(v, c);
        tensors.push(c);
      }
      return c;
    }
    if (Array.isArray(v)) {
      const out: unknown[] = new Array(v.length);
      v.forEach((x, i) => {
        const w = wrap(x);
        Object.defineProperty(out, i, { get: () => (tick(), w), enumerable: true });
      });
      return out;
    }
    if (v && typeof v === "object" && !ArrayBuffer.isView(v)) {
      const out = {};
      for (const [k, x] of Object.entries(v)) {
        const w = wrap(x);
        Object.defineProperty(out, k, { get: () => (tick(), w), enumerable: true });
      }
      return out;
    }
    return v;
  };
  const wrapped = args.map(wrap);
  victimTensor = tensors.at(victim);
  return { args: wrapped, tensors, reads: () => reads };
}

function bytesOf(t: NativeTensor): Uint8Array {
  const out = t.dtype === "uint8" ? new Uint8Array(t.numel) : new Float32Array(t.numel);
  t.download(out);
  return new Uint8Array(out.buffer);
}

for (const device of testDevices().filter((d) => d !== "cuda")) {
  test(`${device}: a tensor freed by a getter mid-call: CuoptimError ERR_FREED, nothing else changed`, () => {
    // Calls whose tensors all still live (temporaries a step freed afterwards cannot be copied).
    const tensorsIn = (v: unknown): NativeTensor[] =>
      isTensor(v) ? [v] : Array.isArray(v) ? v.flatMap(tensorsIn) : v && typeof v === "object" && !ArrayBuffer.isView(v) ? Object.values(v).flatMap(tensorsIn) : [];
    // adafactorStep's workspaces are the step's temporaries, freed after it: replayed without
    // them, the call makes its own.
    const calls = record(device).map((c) => (c.fn === "adafactorStep" ? { ...c, args: c.args.slice(0, 10) } : c)).filter((c) => {
      const ts = tensorsIn(c.args);
      return !c.self && ENTRY_POINTS.includes(c.fn) && ts.length > 0 && ts.every((t) => !t.freed);
    });
    const fns = native as unknown as Record<string, (...a: unknown[]) => unknown>;
    let replays = 0;
    const seen = new Set<string>();
    for (const call of calls) {
      for (const victim of [0, -1]) {
        // A dry run counts the getter reads the call makes.
        const dry = hostile(call.args, 0, victim);
        try {
          fns[call.fn]!.apply(native, dry.args);
        } catch {
          /* some recorded calls are refused once their options are getters: fine, count anyway */
        }
        const total = dry.reads();
        dry.tensors.forEach((t) => t.free());
        for (let k = 1; k <= total; k++) {
          const r = hostile(call.args, k, victim);
          const victimTensor = r.tensors.at(victim)!;
          const others = r.tensors.filter((t) => t !== victimTensor);
          const before = others.map(bytesOf);
          let error: unknown = null;
          try {
            fns[call.fn]!.apply(native, r.args);
          } catch (e) {
            error = e;
          }
          if (victimTensor.freed && r.reads() >= k) {
            replays++;
            seen.add(call.fn);
            assert.ok(error instanceof CuoptimError, `${call.fn}, free at read ${k}/${total}: expected a CuoptimError, got ${error}`);
            assert.is((error as CuoptimError).code, "ERR_FREED", `${call.fn}, free at read ${k}: ${(error as Error).message}`);
            others.forEach((t, i) => assert.ok(Buffer.from(bytesOf(t)).equals(Buffer.from(before[i]!)), `${call.fn}, free at read ${k}: tensor ${i} changed`));
          }
          r.tensors.forEach((t) => t.free());
        }
      }
    }
    for (const fn of ["optimizerStep", "optimizer8bitStep", "adafactorStep", "gradNorm", "gemm"]) assert.ok(seen.has(fn), `replayed ${fn}`);
    if (process.env.CUOPTIM_TEST_VERBOSE) console.log(`    ${device}: ${replays} replays with a tensor freed mid-call over ${seen.size} entry points`);
  });
}

test.run();
