// test/types/tfjs_config_typos.ts — type-checked by `npm run typecheck` (CI), never run: each
// line marked @ts-expect-error must fail to type-check (a misspelled optimizer, option or
// schedule), and the unmarked ones must pass. An @ts-expect-error that is not an error fails tsc.
import type { CuoptimTfjsConfig } from "../../src-ts/tfjs/index.js";

export const ok: CuoptimTfjsConfig[] = [
  { optimizer: "AdamW", options: { lr: 3e-4, weightDecay: 0.1 } },
  { optimizer: "Lion8bit", options: { lr: 1e-4, blockSize: 256 }, schedule: { name: "warmupCosine", options: { warmupSteps: 10, totalSteps: 100 } } },
  { optimizer: "tfjs.adam", options: { lr: 1e-3 } },
];

// @ts-expect-error "AdamWW" is not an optimizer
export const badName: CuoptimTfjsConfig = { optimizer: "AdamWW" };
// @ts-expect-error weightDecy is not an AdamW option
export const badOption: CuoptimTfjsConfig = { optimizer: "AdamW", options: { weightDecy: 0.1 } };
// @ts-expect-error blockSize is an 8-bit option, not SGD's
export const wrongOptimizerOption: CuoptimTfjsConfig = { optimizer: "SGD", options: { blockSize: 256 } };
// @ts-expect-error "warmupCosin" is not a schedule
export const badSchedule: CuoptimTfjsConfig = { optimizer: "AdamW", schedule: { name: "warmupCosin", options: { warmupSteps: 1, totalSteps: 10 } } };
// @ts-expect-error totalStep is not a warmupCosine option
export const badScheduleOption: CuoptimTfjsConfig = { optimizer: "AdamW", schedule: { name: "warmupCosine", options: { warmupSteps: 1, totalStep: 10 } } };
