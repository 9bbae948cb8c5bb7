// test/all_or_nothing.test.ts — a step that fails changes nothing: a multi-group step whose
// k-th state allocation fails (injected, for every k) leaves every param, grad and state byte
// as it was and creates no state, so the next step still treats the state as fresh, as torch's
// lazy initialisation does (SGD with momentum 0.9 and dampening 0.5 then takes buf = grad, as
// torch 1.13 does, not 0.5 * grad). Bad inputs that only a later group holds (a grad of another
// dtype, a param listed in two groups, a grad shared by two params) are refused before the first
// group moves. Optimizers with per-step temporaries (Shampoo, and Adafactor and CAME's device
// workspaces) make them with the state, before any group runs: a failure of any of those
// allocations, in the first step or a later one, also changes nothing.
import { createHash } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Adafactor, AdamW, AdamW8bit, CAME, CuoptimError, SGD, Shampoo, tensor, zeros, type ParamState, type Tensor } from "../src-ts/index.js";
import type { DTypeName } from "../src-ts/native.js";
import { native } from "../src-ts/native.js";
import { stateTensor } from "../src-ts/tensor.js";
import { testDevices } from "./helpers/devices.js";

const bytes = (t: Tensor<DTypeName>): Buffer => Buffer.from((t.toArray() as Float32Array | Uint8Array).buffer);
const values = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + k));

/** Every byte an optimizer can touch: params, grads and state. */
function snapshot(params: Tensor[], opt: { state: Map<Tensor, ParamState> }): string {
  const parts = params.flatMap((p) => [bytes(p).toString("hex"), p.grad ? bytes(p.grad).toString("hex") : "-"]);
  for (const [p, s] of opt.state) parts.push(`${params.indexOf(p)}:${s.step}:` + Object.entries(s.tensors).map(([k, t]) => k + "=" + bytes(t).toString("hex")).join(","));
  return createHash("sha256").update(parts.join("|")).digest("hex");
}

/** Makes the `k`-th native state tensor allocation (1-based) throw, for the duration of `fn`. */
function failingAllocation<T>(k: number, fn: () => T): T {
  const Original = native.Tensor;
  let n = 0;
  const Patched = function (this: unknown, ...args: ConstructorParameters<typeof Original>) {
    if (args[3] === "state" && ++n === k) throw new CuoptimError("ERR_OUT_OF_MEMORY", "injected allocation failure");
    return new Original(...args);
  } as unknown as typeof Original;
  Patched.prototype = Original.prototype;
  (native as { Tensor: typeof Original }).Tensor = Patched;
  try {
    return fn();
  } finally {
    (native as { Tensor: typeof Original }).Tensor = Original;
  }
}

const makers = [
  { name: "AdamW (3 groups)", make: (ps: Tensor[]) => new AdamW([{ params: [ps[0]!] }, { params: [ps[1]!], weightDecay: 0 }, { params: [ps[2]!], lr: 0.1 }], { lr: 1e-2 }) },
  { name: "AdamW8bit (2 groups)", make: (ps: Tensor[]) => new AdamW8bit([{ params: [ps[0]!, ps[1]!] }, { params: [ps[2]!], lr: 0.1 }], { min8bitSize: 64, blockSize: 64 }) },
  { name: "SGD momentum (2 groups)", make: (ps: Tensor[]) => new SGD([{ params: [ps[0]!] }, { params: [ps[1]!, ps[2]!], momentum: 0.5 }], { lr: 0.1, momentum: 0.9 }) },
  { name: "Adafactor (2 groups)", scratch: (d: string) => d !== "cpu", make: (ps: Tensor[]) => new Adafactor([{ params: [ps[0]!, ps[1]!] }, { params: [ps[2]!], lr: 0.1 }]) },
  { name: "CAME (2 groups)", scratch: (d: string) => d !== "cpu", make: (ps: Tensor[]) => new CAME([{ params: [ps[1]!] }, { params: [ps[0]!, ps[2]!], lr: 0.1 }]) },
  {
    name: "Shampoo (2 groups, roots every step)",
    scratch: () => true,
    make: (ps: Tensor[]) => new Shampoo([{ params: [ps[1]!] }, { params: [ps[0]!, ps[2]!], lr: 0.1 }], { startPreconditioningStep: 1, preconditionFrequency: 1 }),
  },
];

for (const device of testDevices()) {
  for (const { name, make, scratch } of makers as { name: string; make: (ps: Tensor[]) => AdamW; scratch?: (d: string) => boolean }[]) {
    test(`${device}: ${name}: an allocation failure at each point of the first and a later step changes no byte`, () => {
      const params = [[300], [8, 20], [65]].map((shape, k) => tensor(values(shape.reduce((a, b) => a * b, 1), k), shape, { device }));
      for (const p of params) p.grad = tensor(values(p.numel, 9), [...p.shape], { device });
      const opt = make(params);
      let failures = 0;
      for (let k = 1; k <= 100; k++) {
        const before = snapshot(params, opt);
        let threw = false;
        try {
          failingAllocation(k, () => opt.step());
        } catch (e) {
          threw = true;
          assert.ok(e instanceof CuoptimError, String(e));
        }
        if (!threw) break; // every allocation succeeded: the step ran
        failures++;
        assert.is(snapshot(params, opt), before, `allocation ${k} failed: something changed`);
        assert.is(opt.state.size, 0, `allocation ${k} failed: state was left behind`);
      }
      // Each of the 3 params needs state: the first step allocates at least 3 tensors, and the
      // loop ends at the first k past the last of them, when the step runs.
      assert.ok(failures >= 3 && failures < 100, `the first step's ${failures} state allocations were each made to fail once`);
      // A later step: only per-step temporaries are allocated; a failure of each changes nothing.
      let laterFailures = 0;
      for (let k = 1; k <= 100; k++) {
        const before = snapshot(params, opt);
        let threw = false;
        try {
          failingAllocation(k, () => opt.step());
        } catch (e) {
          threw = true;
          assert.ok(e instanceof CuoptimError, String(e));
        }
        if (!threw) break;
        laterFailures++;
        assert.is(snapshot(params, opt), before, `later step, allocation ${k} failed: something changed`);
      }
      assert.is(laterFailures > 0, scratch?.(device) ?? false, `a later step made ${laterFailures} temporaries`);
      // A later step in a new group allocates its state.
      opt.addParamGroup({ params: [tensor(values(40, 3), [40], { device })] });
      const extra = opt.paramGroups.at(-1)!.params[0]!;
      extra.grad = zeros([40], { device });
      const before = snapshot([...params, extra], opt);
      assert.throws(() => failingAllocation(1, () => opt.step()), (e: unknown) => e instanceof CuoptimError);
      assert.is(snapshot([...params, extra], opt), before, "a later step whose new group fails to allocate changes nothing");
      opt.free();
      for (const p of [...params, extra]) (p.grad!.free(), p.free());
    });
  }

  test(`${device}: SGD momentum 0.9 dampening 0.5: after a failed first step the next one initialises the buffer as torch does`, () => {
    const p = tensor(new Float32Array([1]), [1], { device });
    p.grad = tensor(new Float32Array([1]), [1], { device });
    const opt = new SGD([p], { lr: 1, momentum: 0.9, dampening: 0.5 });
    assert.throws(() => failingAllocation(1, () => opt.step()));
    opt.step();
    // torch 1.13: the first step sets buf = grad (no dampening), so p = 1 - lr * 1 = 0.
    assert.equal(Array.from(p.toArray()), [0]);
    opt.step();
    // second step: buf = 0.9 * 1 + (1 - 0.5) * 1 = 1.4, p = 0 - 1.4
    assert.equal(Array.from(p.toArray()), [Math.fround(-1.4)]);
  });

  test(`${device}: a later group's bad grad or a param in two groups is refused before any group moves`, () => {
    const a = tensor(values(10, 1), [10], { device });
    const b = tensor(values(10, 2), [10], { device });
    a.grad = tensor(values(10, 3), [10], { device });
    b.grad = tensor(values(10, 4), [10], { device });
    const opt = new AdamW([{ params: [a] }, { params: [b], lr: 0.5 }]);
    const u8 = stateTensor(device, [10], "uint8");
    assert.throws(() => (b.grad = u8 as never), (e: unknown) => e instanceof CuoptimError && (e as CuoptimError).code === "ERR_DTYPE");
    u8.free();
    for (const [grad, message] of [
      [a.grad, /paramGroups\[1\]\.params\[0\]\.grad: this tensor is also the grad of paramGroups\[0\]\.params\[0\]/],
      [a, /paramGroups\[1\]\.params\[0\]\.grad: this tensor is also the param paramGroups\[0\]\.params\[0\]/],
    ] as const) {
      const own: Tensor | null = b.grad;
      b.grad = grad;
      const before = snapshot([a, b], opt);
      assert.throws(() => opt.step(), (e: unknown) => e instanceof CuoptimError && message.test((e as Error).message));
      assert.is(snapshot([a, b], opt), before);
      assert.is(opt.state.size, 0);
      b.grad = own;
    }
    opt.paramGroups[1]!.params.push(a);
    const before = snapshot([a, b], opt);
    assert.throws(() => opt.step(), (e: unknown) => e instanceof CuoptimError && /paramGroups\[1\]\.params\[1\]: this tensor is also paramGroups\[0\]\.params\[0\]/.test((e as Error).message));
    assert.is(snapshot([a, b], opt), before);
    assert.is(opt.state.size, 0);
  });
}

test.run();
