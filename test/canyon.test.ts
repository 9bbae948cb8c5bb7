// test/canyon.test.ts — the seeds' worked example (seed file 004): L = 100x² + y² from (1, 1),
// gradient (200x, 2y), lr 0.01. The seed states three steps of SGD and of SGD with momentum 0.9
// to three decimals; every backend must land on them (|error| <= 0.0005, the rounding).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { SGD, tensor, type Device } from "../src-ts/index.js";
import { testDevices } from "./helpers/devices.js";

function canyon(device: Device, momentum: number): number[][] {
  const w = tensor(new Float32Array([1, 1]), [2], { device });
  w.grad = tensor(new Float32Array(2), [2], { device });
  const opt = new SGD([w], { lr: 0.01, momentum });
  const path: number[][] = [];
  for (let step = 0; step < 3; step++) {
    const [x, y] = w.toArray();
    w.grad.set(new Float32Array([200 * x!, 2 * y!]));
    opt.step();
    path.push([...w.toArray()]);
  }
  return path;
}

function near(actual: number[][], expected: number[][], what: string): void {
  actual.forEach((p, i) =>
    p.forEach((v, j) => assert.ok(Math.abs(v - expected[i]![j]!) <= 5e-4, `${what} step ${i + 1}[${j}]: ${v} vs ${expected[i]![j]}`)),
  );
}

for (const device of testDevices()) {
  test(`${device}: SGD bounces across the canyon (seed 004)`, () => {
    near(canyon(device, 0), [[-1, 0.98], [1, 0.96], [-1, 0.941]], "SGD");
  });

  test(`${device}: momentum 0.9 damps the bounce (seed 004)`, () => {
    near(canyon(device, 0.9), [[-1, 0.98], [-0.8, 0.942], [0.98, 0.89]], "momentum");
  });
}

test.run();
