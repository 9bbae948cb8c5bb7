// test/torch.parity.test.ts — Adam, AdamW, SGD, RMSprop, RAdam, NAdam, Adamax, Adagrad, Adadelta, Rprop and ASGD against
// torch 1.13, on every backend, through the parity harness users run (cuoptim/parity).
//
// Cases and reference trajectories: test/fixtures/parity/torch/<name>.case.json and .safetensors,
// from test/fixtures/gen/torch_optim.py (the package's torch generator), some with schedules, one
// with clipping and a skipped non-finite step. Tolerance: the harness's defaults for torch.optim's
// family: bit-exact (every param at every snapshot, every state value after the last step has
// torch's bits), and for the clipped case 1e-5 relative (torch sums the norm in float32, cuoptim
// in double). CI also runs a random live case with `cuoptim-parity run --live` (.ci/run).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { formatReport, readTrajectory, replay } from "../src-ts/parity/index.js";
import { testDevices } from "./helpers/devices.js";
import { FIXTURES } from "./helpers/fixtures.js";

const DIR = join(FIXTURES, "parity", "torch");
const names = readdirSync(DIR).filter((f) => f.endsWith(".case.json")).map((f) => f.slice(0, -".case.json".length)).sort();
const references = new Map(names.map((n) => [n, readTrajectory(join(DIR, `${n}.safetensors`))]));

test("cases and trajectories are present for every torch optimizer", () => {
  for (const name of ["Adam", "AdamW", "SGD", "RMSprop", "RAdam", "NAdam", "Adamax", "Adagrad", "Adadelta", "Rprop", "ASGD"]) {
    assert.ok([...references.values()].filter((t) => t.case.optimizer === name).length >= 4, `expected committed ${name} cases`);
  }
  for (const t of references.values()) assert.match(t.source, /^torch 1\.13\.\S+ torch\.optim\.\w+ \(cuoptim_parity\.torch_ref\)$/);
});

for (const device of testDevices()) {
  for (const name of names) {
    const ref = references.get(name)!;
    const exact = ref.case.clip === null;
    test(`${device}: ${name} (${ref.case.optimizer}, ${ref.case.steps} steps) matches torch${exact ? " bit for bit" : " within the clipping tolerance"}`, () => {
      const report = replay(join(DIR, `${name}.case.json`), ref, { devices: [device] });
      assert.is(report.runs.length, 1);
      assert.is(report.runs[0]!.status, "compared");
      if (!report.pass) assert.unreachable(formatReport(report));
      const tensors = report.runs[0]!.tensors;
      // every param at every snapshot (and at init), and each param's state after the last step
      assert.ok(tensors.filter((t) => t.key === null).every((t) => t.snapshots === ref.case.snapshots.length + 1));
      assert.ok(tensors.some((t) => t.key === "step"));
      if (exact) assert.ok(tensors.every((t) => t.identical === t.snapshots), "bit-identical");
      if (process.env.CUOPTIM_TEST_VERBOSE) {
        const identical = tensors.reduce((n, t) => n + t.identical, 0);
        console.log(`    ${device} ${name}: ${identical}/${tensors.reduce((n, t) => n + t.snapshots, 0)} tensors bit-identical to torch`);
      }
    });
  }
}

test.run();
