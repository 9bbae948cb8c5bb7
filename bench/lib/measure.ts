// bench/lib/measure.ts — timing helpers: medians over steps after a warm-up, and adaptive
// repetition for steps too short to time one at a time.
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Milliseconds per call of `step`: the median of `steps` timed calls after `warmup` untimed ones. */
export function timeSteps(step: () => void, { steps = 10, warmup = 2 } = {}): { medianMs: number; timesMs: number[] } {
  for (let i = 0; i < warmup; i++) step();
  const timesMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    timesMs.push(performance.now() - t0);
  }
  return { medianMs: median(timesMs), timesMs };
}

/**
 * For short steps: each sample times as many calls as fill ~`sampleMs`, and the result is the
 * median over `samples` of the per-call time.
 */
export function timeShortSteps(step: () => void, { samples = 10, sampleMs = 20 } = {}): number {
  step();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) step();
    const dt = performance.now() - t0;
    if (dt >= sampleMs / 4 || reps >= 1 << 20) {
      reps = Math.max(1, Math.round((reps * sampleMs) / Math.max(dt, 1e-3)));
      break;
    }
    reps *= 4;
  }
  const per: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) step();
    per.push((performance.now() - t0) / reps);
  }
  return median(per);
}
