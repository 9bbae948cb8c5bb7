// src-ts/optim/elementwise.ts — the base of every optimizer whose step is one of the addon's
// element-wise ops (kernels/math/elementwise.cuh).
//
// Such an optimizer needs only its defaults, its option check and the map from a group's
// options to the op's native options: the state it keeps is what the addon says the op uses
// under those options (names in the op's order, float32, the param's shape), and a step is one
// fused op over each batch of groups.
import type { ElementwiseOp } from "../native.js";
import { native } from "../native.js";
import type { Tensor } from "../tensor.js";
import { Optimizer, type CommonOptions, type ParamsInput, type StateSpec, type StepContext, type UpdateItem } from "./optimizer.js";
import { runElementwise } from "./run.js";

export type NativeOptions = Record<string, number | boolean>;

export abstract class ElementwiseOptimizer<O extends object> extends Optimizer<O> {
  readonly #op: ElementwiseOp;
  // Used state names by native options: options change rarely where state is created.
  readonly #usedStates = new Map<string, readonly string[]>();

  protected constructor(op: ElementwiseOp, params: ParamsInput<O>, defaults: O, options: Partial<O> & CommonOptions) {
    super(params, defaults, options);
    this.#op = op;
  }

  /** The element-wise kernels take 16-bit params, grads and state themselves. */
  protected override get kernels16(): boolean {
    return true;
  }

  /** A group's options as the op reads them (src-native/op_specs.cc). */
  protected abstract nativeOptions(options: O): NativeOptions;

  /** Initial values of the states that do not start at zero. */
  protected stateInit(_options: O): Record<string, number> {
    return {};
  }

  protected stateSpec(param: Tensor, options: O): StateSpec {
    const spec: StateSpec = {};
    const init = this.stateInit(options);
    for (const name of this.usedStates(options)) {
      spec[name] = { dtype: "float32", shape: param.shape, ...(init[name] ? { init: init[name] } : {}) };
    }
    return spec;
  }

  protected applyUpdate(options: O, items: UpdateItem[], ctx: StepContext): void {
    runElementwise(this.#op, this.nativeOptions(options), items, ctx);
  }

  private usedStates(options: O): readonly string[] {
    const nativeOptions = { ...this.nativeOptions(options), gradScale: 1 };
    const key = JSON.stringify(nativeOptions);
    let names = this.#usedStates.get(key);
    if (!names) {
      if (this.#usedStates.size >= 64) this.#usedStates.clear();
      names = native.elementwiseStates(this.#op, nativeOptions);
      this.#usedStates.set(key, names);
    }
    return names;
  }
}
