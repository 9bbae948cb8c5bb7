// test/helpers/state.ts — every value an optimizer keeps per param, as arrays to compare: state
// tensors, host scalars (as one float64 each) and, for Lookahead, the slow weights.
import { Lookahead, type Optimizer } from "../../src-ts/index.js";

export type AnyOptimizer = Optimizer<object> | Lookahead<object>;

export function stateArrays(opt: AnyOptimizer): (Float32Array | Uint8Array | Float64Array)[] {
  const inner = opt instanceof Lookahead ? opt.optimizer : opt;
  const out: (Float32Array | Uint8Array | Float64Array)[] = [];
  for (const s of inner.state.values()) {
    for (const t of Object.values(s.tensors)) out.push(t.toArray());
    for (const v of Object.values(s.scalars)) out.push(new Float64Array([v]));
  }
  if (opt instanceof Lookahead) for (const p of inner.params()) out.push(opt.slowWeights(p)!.toArray());
  return out;
}
