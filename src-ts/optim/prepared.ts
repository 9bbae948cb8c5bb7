// src-ts/optim/prepared.ts — a step's plan kept for the next steps (optimizer.ts): the batches
// of update items that planStep and stateFor built, reused while nothing they were built from has
// changed. Each step still checks, per group, its options (checkOptions, then the key they batch
// by) and, per param, that it is the same live tensor with the same live grad and the same state
// object; anything else makes the step plan afresh (planStep gives the precise error).
import type { Tensor } from "../tensor.js";
import type { StepPlan } from "./plan.js";
import type { ParamGroup, ParamState, UpdateItem } from "./types.js";

interface GroupSnapshot {
  params: Tensor[];
  grads: (Tensor | null)[];
  key: string;
}

export interface PreparedPlan<O> {
  groups: GroupSnapshot[];
  plans: StepPlan<O>[];
  batches: UpdateItem[][];
}

/** The options a group batches by (planStep's key): everything but its params, name and initialLr. */
export function groupOptions<O>(group: ParamGroup<O>): O {
  const { params: _params, name: _name, initialLr: _initialLr, ...options } = group;
  return options as unknown as O;
}

/**
 * A plan to keep after a step that ran it: its batches are only reused when they hold no
 * per-step temporaries, so the caller passes only batches without scratch or working copies.
 * State made for this step is now complete: the kept items are no longer fresh.
 */
export function keepPlan<O>(groups: readonly ParamGroup<O>[], plans: StepPlan<O>[], batches: UpdateItem[][]): PreparedPlan<O> {
  for (const batch of batches) for (const item of batch) item.fresh = false;
  return {
    groups: groups.map((g) => ({ params: [...g.params], grads: g.params.map((p) => p.grad), key: JSON.stringify(groupOptions(g)) })),
    plans,
    batches,
  };
}

/**
 * Whether `prepared` still describes a step over `groups` with `state`. checkOptions runs on
 * every group (a bad option throws here, as planStep's would).
 */
export function planStillHolds<O>(
  prepared: PreparedPlan<O>,
  groups: readonly ParamGroup<O>[],
  state: ReadonlyMap<Tensor, ParamState>,
  checkOptions: (o: O, where: string) => void,
): boolean {
  if (groups.length !== prepared.groups.length) return false;
  for (let gi = 0; gi < groups.length; gi++) {
    const group = groups[gi]!;
    const snap = prepared.groups[gi]!;
    const options = groupOptions(group);
    checkOptions(options, `paramGroups[${gi}]`);
    if (JSON.stringify(options) !== snap.key) return false;
    const params = group.params;
    if (params.length !== snap.params.length) return false;
    for (let j = 0; j < params.length; j++) {
      const p = params[j]!;
      const g = p.grad;
      if (p !== snap.params[j] || g !== snap.grads[j] || p.freed || (g !== null && g.freed)) return false;
    }
  }
  for (const batch of prepared.batches) {
    for (const item of batch) if (state.get(item.param) !== item.state) return false;
  }
  return true;
}
