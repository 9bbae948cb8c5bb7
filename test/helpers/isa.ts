// test/helpers/isa.ts — running a check under every cpu kernel ISA this CPU has.
import { cpuIsa, setCpuIsa } from "../../src-ts/index.js";

export type Isa = "avx512" | "avx2" | "baseline";

/** Runs fn under baseline, avx2 and avx512 where this CPU has them (skipping the rest); restores the ISA; returns how many ran. */
export function underEveryIsa(fn: (isa: Isa) => void): number {
  const original = cpuIsa() as Isa;
  let ran = 0;
  try {
    for (const isa of ["baseline", "avx2", "avx512"] as const) {
      try {
        setCpuIsa(isa);
      } catch {
        continue; // this CPU lacks it
      }
      fn(isa);
      ran++;
    }
  } finally {
    setCpuIsa(original);
  }
  return ran;
}
