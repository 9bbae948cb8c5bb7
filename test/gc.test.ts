// test/gc.test.ts — V8 learns about native memory: tensors dropped without free() are collected
// under memory pressure. 1024 tensors of 4 MiB (4 GiB in all) are made and dropped at once in a
// child process (test/helpers/gc_pressure.ts); the bytes held at any time must stay under
// 1 GiB. Without external-memory reports V8 sees only the small wrappers, rarely collects, and
// the bytes pile up to several GiB (ERR_OUT_OF_MEMORY at scale).
import { spawnSync } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { testDevices } from "./helpers/devices.js";

const COUNT = 1024;
const MIB = 4;
const LIMIT = 2 ** 30;

for (const device of testDevices()) {
  test(`${device}: ${COUNT} dropped tensors of ${MIB} MiB never hold more than 1 GiB at once`, () => {
    const child = spawnSync(process.execPath, ["--import", "tsx", "test/helpers/gc_pressure.ts", device, String(COUNT), String(MIB)], {
      encoding: "utf8",
    });
    assert.is(child.status, 0, child.stderr);
    const r = JSON.parse(child.stdout.trim().split("\n").pop()!) as { made: number; peakBytes: number };
    if (process.env.CUOPTIM_TEST_VERBOSE) console.log(`    ${device}: peak ${(r.peakBytes / 2 ** 20).toFixed(0)} MiB of ${(r.made / 2 ** 20).toFixed(0)} MiB made`);
    assert.ok(r.peakBytes < LIMIT, `peak ${(r.peakBytes / 2 ** 20).toFixed(0)} MiB held at once`);
  });
}

test.run();
