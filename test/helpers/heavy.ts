// test/helpers/heavy.ts — `heavyTest`: a test whose cost is its size, not its reach: convergence
// runs (hundreds of steps of kernels the fixture tests of the same file check value by value) and
// accounting checks on multi-million-element tensors. The sanitizer pass
// (CUOPTIM_SANITIZER_PASS=1, set by .ci/run) skips these: under ASan, and on cuda-sim, they cost
// minutes each and reach no native path the smaller tests do not; the plain `npm test` runs them.
import { test } from "uvu";

const sanitizerPass = process.env.CUOPTIM_SANITIZER_PASS === "1";
let announced = false;

export const heavyTest: typeof test = sanitizerPass
  ? (((name: string, ...rest: unknown[]) => {
      if (!announced) console.log("  (sanitizer pass: convergence runs and large accounting checks are skipped; npm test runs them)");
      announced = true;
      return (test.skip as (...a: unknown[]) => void)(name, ...rest);
    }) as unknown as typeof test)
  : test;
