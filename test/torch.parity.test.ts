// test/torch.parity.test.ts — Adam, AdamW, SGD, RMSprop, RAdam, NAdam, Adamax, Adagrad, Adadelta, Rprop and ASGD against
// torch 1.13 fixtures, on every backend.
//
// Fixtures: test/fixtures/torch/*.json from test/fixtures/gen/torch_optim.py (plus a live case
// in CI via CUOPTIM_LIVE_FIXTURES). Tolerance: max relative error <= 1e-6 for every param and
// state value after 1..60 steps, relative to max(|torch|, 1e-4) — values within 1e-4 of zero are
// compared absolutely, since a value crossing zero has no meaningful relative error. 1e-6 is ~8
// float32 ulps: room for torch builds that fuse differently from the one that wrote the
// fixtures; on the machine that wrote them the results are expected to be bit-identical, and
// the test reports how many elements are. Scalar state (NAdam's muProduct, torch's float32
// mu_product) is computed in float32 as torch does and compared the same way.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assertClose } from "./helpers/compare.js";
import { testDevices } from "./helpers/devices.js";
import { fixturePaths, readFixture } from "./helpers/fixtures.js";
import { assertReplayMatches, closeF32State, expectedSnapshot, freeReplay, replay, type TorchCase } from "./helpers/torch_case.js";

const RTOL = 1e-6;
const FLOOR = 1e-4;

const cases = fixturePaths("torch").map((p) => readFixture<TorchCase>(p));

test("fixtures are present for every torch optimizer", () => {
  for (const name of ["Adam", "AdamW", "SGD", "RMSprop", "RAdam", "NAdam", "Adamax", "Adagrad", "Adadelta", "Rprop", "ASGD"]) {
    assert.ok(cases.filter((c) => c.optimizer === name).length >= 4, `expected committed ${name} fixtures`);
  }
});

for (const device of testDevices()) {
  for (const c of cases) {
    test(`${device}: ${c.name} (${c.optimizer}, ${c.steps} steps) matches torch`, () => {
      const r = replay(c, device);
      assertReplayMatches(c, r, { rtol: RTOL, floor: FLOOR }, (state, k, v, what) => {
        if (typeof v === "number") {
          assert.ok(k in state.scalars, `${what}: expected scalar state`);
          assertClose(new Float32Array([state.scalars[k]!]), new Float32Array([v]), RTOL, FLOOR, what);
        } else {
          closeF32State(RTOL, () => FLOOR)(state, k, v, what);
        }
      });
      if (process.env.CUOPTIM_TEST_VERBOSE) {
        let identical = 0;
        let total = 0;
        for (const step of c.snapshotAt) {
          expectedSnapshot(c, step).forEach((e, i) => {
            const got = r.snapshots.get(step)![i]!;
            for (let k = 0; k < e.length; k++) if (Object.is(e[k], got[k])) identical++;
            total += e.length;
          });
        }
        console.log(`    ${device} ${c.name}: ${identical}/${total} param values bit-identical to torch`);
      }
      freeReplay(r);
    });
  }
}

test.run();
