// test/tensor.test.ts — Tensor handles: creation, views, copies, free(), and memory accounting.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AdamW, memoryStats, tensor, zeros, zerosLike } from "../src-ts/index.js";
import { testDevices } from "./helpers/devices.js";

for (const device of testDevices()) {
  test(`${device}: tensor() copies the data and reports shape, numel, bytes`, () => {
    const src = new Float32Array([1, 2, 3, 4, 5, 6]);
    const t = tensor(src, [2, 3], { device });
    src[0] = 100;
    assert.equal([...t.shape], [2, 3]);
    assert.is(t.numel, 6);
    assert.is(t.bytes, 24);
    assert.is(t.device, device);
    assert.equal([...t.toArray()], [1, 2, 3, 4, 5, 6]);
    t.free();
  });

  test(`${device}: zeros, zerosLike, set() and zero()`, () => {
    const z = zeros([4, 1], { device });
    assert.equal([...z.toArray()], [0, 0, 0, 0]);
    z.set(new Float32Array([1, -2, 3, -4]));
    const like = zerosLike(z).set(z);
    assert.equal([...like.toArray()], [1, -2, 3, -4]);
    z.zero();
    assert.equal([...z.toArray()], [0, 0, 0, 0]);
    assert.equal([...like.shape], [4, 1]);
    z.free();
    like.free();
  });

  test(`${device}: empty and scalar shapes`, () => {
    const e = zeros([0, 3], { device });
    assert.is(e.numel, 0);
    assert.is(e.toArray().length, 0);
    const s = tensor(new Float32Array([7]), [], { device });
    assert.is(s.numel, 1);
    assert.equal([...s.toArray()], [7]);
  });

  test(`${device}: memoryStats splits bytes by role and free() returns them`, () => {
    const before = memoryStats(device).current;
    const w = tensor(new Float32Array(1000), [1000], { device });
    assert.is(memoryStats(device).current.other - before.other, 4000);
    w.grad = zeros([1000], { device });
    const opt = new AdamW([w]);
    opt.step();
    const now = memoryStats(device).current;
    assert.is(now.params - before.params, 4000);
    assert.is(now.grads - before.grads, 4000);
    assert.is(now.state - before.state, 8000, "AdamW keeps 8 bytes of state per param");
    assert.is(now.total - before.total, 16000);
    assert.ok(memoryStats(device).peak.total >= now.total);
    opt.free();
    w.grad!.free();
    w.free();
    assert.equal(memoryStats(device).current, before);
  });
}

test("cpu: data is a zero-copy view, detached by free()", () => {
  const t = tensor(new Float32Array([1, 2, 3]), [3], { device: "cpu" });
  const view = t.data;
  assert.is(t.data, view, "the same view each time");
  view[1] = 42;
  assert.equal([...t.toArray()], [1, 42, 3]);
  t.set(view); // a view as its own source is fine
  t.free();
  assert.is(view.length, 0, "a freed tensor's view is detached");
  assert.ok(t.freed);
});

test("a view outlives its tensor's handle safely", () => {
  let view: Float32Array;
  {
    const t = tensor(new Float32Array([5, 6]), [2], { device: "cpu" });
    view = t.data;
  }
  global.gc?.();
  assert.equal([...view], [5, 6]);
});

test.run();
