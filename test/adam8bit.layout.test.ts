// test/adam8bit.layout.test.ts — as in bitsandbytes, a param's 8-bit state layout (8-bit codes
// or float32, and the block size) is fixed when the state is made: changing min8bitSize or
// blockSize later steps existing state exactly as before, applies to state made afterwards,
// and stateDict / checkStateDict / loadStateDict keep working (each entry loads with its kind).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AdamW8bit, Lion8bit, tensor, type Tensor } from "../src-ts/index.js";
import { testDevices } from "./helpers/devices.js";

const values = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + k));

function model(device: ReturnType<typeof testDevices>[number], sizes: number[]): Tensor[] {
  return sizes.map((n, j) => {
    const p = tensor(values(n, j), [n], { device });
    p.grad = tensor(values(n, j + 10), [n], { device });
    return p;
  });
}

const bits = (ts: Tensor[]) => ts.map((t) => Buffer.from((t.toArray() as Float32Array).buffer).toString("hex"));
const kinds = (opt: AdamW8bit | Lion8bit) => [...opt.state.values()].map((s) => `${s.tensors.state1!.dtype}:${s.tensors.absmax1?.numel ?? "-"}`);

for (const device of testDevices()) {
  for (const [name, make] of [
    ["AdamW8bit", (ps: Tensor[], o: object) => new AdamW8bit(ps, o) as AdamW8bit | Lion8bit],
    ["Lion8bit", (ps: Tensor[], o: object) => new Lion8bit(ps, o) as AdamW8bit | Lion8bit],
  ] as const) {
    test(`${device}: ${name}: changing min8bitSize and blockSize after the first step keeps each state's layout`, () => {
      const sizes = [5000, 300];
      const changed = model(device, sizes);
      const kept = model(device, sizes);
      const a = make(changed, { lr: 1e-2, blockSize: 256 });
      const b = make(kept, { lr: 1e-2, blockSize: 256 });
      a.step();
      b.step();
      const before = kinds(a);
      assert.equal(before, ["uint8:20", "float32:-"]);
      Object.assign(a.paramGroups[0]!, { min8bitSize: 100, blockSize: 64 });
      for (let i = 0; i < 3; i++) {
        a.step();
        b.step();
      }
      assert.equal(kinds(a), before, "existing state keeps its kind and block size");
      assert.equal(bits(changed), bits(kept), "and steps exactly as if nothing had changed");
      // A state dict of the mixed layouts validates (save runs checkStateDict) and round-trips.
      const dict = a.stateDict();
      a.checkStateDict(dict as never);
      const again = model(device, sizes);
      changed.forEach((p, i) => again[i]!.set(p));
      const c = make(again, { lr: 1e-2 });
      c.loadStateDict(b.stateDict() as never);
      c.step();
      a.step();
      assert.equal(bits(again), bits(changed), "a loaded state steps as the one it came from");
      // State made after the change follows the options: a param that joins the changed group.
      const [late] = model(device, [300]);
      a.paramGroups[0]!.params.push(late!);
      a.step();
      assert.equal(kinds(a).slice(-1), ["uint8:5"], "a new param's state uses min8bitSize 100 and blockSize 64");
      for (const o of [a, b, c]) o.free();
    });
  }
}

test.run();
