// src-ts/optim/prepared.ts — a step's plan kept for the next steps (optimizer.ts): the batches
// of update items that planStep and stateFor built, reused while nothing they were built from has
// changed. Each step still checks, per group, its options (checkOptions, then the key they batch
// by) and, per param, that it is the same live tensor with the same live grad and the same state
// object; anything else makes the step plan afresh (planStep gives the precise error).
//
// The lr may change between steps (a scheduler writes it every step): it changes no state and is
// read afresh by every step, so a kept plan only needs the groups it batched together to still
// share one lr. Any other option change plans afresh.
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

/** A group's options but its lr, as a kept plan compares them. */
function keptKey(options: unknown): string {
  return JSON.stringify({ ...(options as object), lr: undefined });
}

/**
 * A plan to keep after a step that ran it: its batches are only reused when they hold no
 * per-step temporaries, so the caller passes only batches without scratch or working copies.
 * State made for this step is now complete: the kept items are no longer fresh.
 */
export function keepPlan<O>(groups: readonly ParamGroup<O>[], plans: StepPlan<O>[], batches: UpdateItem[][]): PreparedPlan<O> {
  for (const batch of batches) for (const item of batch) item.fresh = false;
  return {
    groups: groups.map((g) => ({ params: [...g.params], grads: g.params.map((p) => p.grad), key: keptKey(groupOptions(g)) })),
    plans,
    batches,
  };
}

/**
 * The options of each of `prepared`'s plans for a step over `groups` with `state`, or null when
 * the plan no longer holds. checkOptions runs on every group (a bad option throws here, as
 * planStep's would).
 */
export function keptPlanOptions<O>(
  prepared: PreparedPlan<O>,
  groups: readonly ParamGroup<O>[],
  state: ReadonlyMap<Tensor, ParamState>,
  checkOptions: (o: O, where: string) => void,
): O[] | null {
  if (groups.length !== prepared.groups.length) return null;
  const options: O[] = new Array(groups.length);
  for (let gi = 0; gi < groups.length; gi++) {
    const group = groups[gi]!;
    const snap = prepared.groups[gi]!;
    options[gi] = groupOptions(group);
    checkOptions(options[gi]!, `paramGroups[${gi}]`);
    if (keptKey(options[gi]) !== snap.key) return null;
    const params = group.params;
    if (params.length !== snap.params.length) return null;
    for (let j = 0; j < params.length; j++) {
      const p = params[j]!;
      const g = p.grad;
      if (p !== snap.params[j] || g !== snap.grads[j] || p.freed || (g !== null && g.freed)) return null;
    }
  }
  for (const batch of prepared.batches) {
    for (const item of batch) if (state.get(item.param) !== item.state) return null;
  }
  // Groups batched together must still share their lr.
  const lrOf = (gi: number): unknown => (options[gi] as { lr?: unknown }).lr;
  for (const plan of prepared.plans) {
    if (!plan.groups.every((gi) => lrOf(gi) === lrOf(plan.groups[0]!))) return null;
  }
  return prepared.plans.map((plan) => options[plan.groups[0]!]!);
}
